import { toDeliveryBatches } from '../../activities/line-messaging';
import { toMessageBatches } from '../../domain/line-messages';
import {
  jobCompletedText,
  noTicketText,
  photoAcceptedText,
  textsRejectedText,
} from '../../domain/stamp-texts';

describe('toDeliveryBatches (LINE image messages)', () => {
  it('is exactly the text batching when there are no images', () => {
    const texts = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    expect(toDeliveryBatches(texts)).toEqual(toMessageBatches(texts));
    expect(toDeliveryBatches(texts, [])).toEqual(toMessageBatches(texts));
  });

  it('sends texts first, then images, at most 5 messages per call', () => {
    const images = Array.from({ length: 6 }, (_, i) => ({
      originalContentUrl: `https://example.com/${i}.png`,
      ...(i === 0 ? { previewImageUrl: 'https://example.com/p.jpg' } : {}),
    }));
    const batches = toDeliveryBatches(['done'], images);
    expect(batches.map((b) => b.length)).toEqual([5, 2]);
    expect(batches[0]?.[0]).toEqual({ type: 'text', text: 'done' });
    expect(batches[0]?.[1]).toEqual({
      type: 'image',
      originalContentUrl: 'https://example.com/0.png',
      previewImageUrl: 'https://example.com/p.jpg',
    });
    // Without a preview URL the image itself is the preview.
    expect(batches[1]?.[1]).toEqual({
      type: 'image',
      originalContentUrl: 'https://example.com/5.png',
      previewImageUrl: 'https://example.com/5.png',
    });
  });
});

describe('stamp texts', () => {
  const limits = { maxMessages: 40, maxMessageLength: 16, pendingPhotoTtlMinutes: 30 };

  it('tells the user the limits when the photo is accepted', () => {
    const text = photoAcceptedText(limits);
    expect(text).toContain('1行に1つずつ');
    expect(text).toContain('最大40個');
    expect(text).toContain('16文字');
    expect(text).toContain('30分');
    expect(text).toContain('キャンセル');
    expect(text).not.toContain('チケット');
    expect(photoAcceptedText(limits, 3)).toBe(text);
    expect(photoAcceptedText(limits, 0)).toContain('チケットが1枚必要です');
  });

  it('offers purchase links, or says how to buy without them', () => {
    const withLinks = noTicketText([{ name: 'チケット1枚', url: 'https://pay.example/1' }]);
    expect(withLinks).toContain('https://pay.example/1');
    expect(noTicketText([])).toContain('「購入」');
  });

  it('keeps LINE text limits', () => {
    expect(
      Array.from(jobCompletedText(40, `https://s3/${'x'.repeat(1500)}`, 7)).length,
    ).toBeLessThan(5000);
    expect(textsRejectedText('1個目が空です。')).toContain('写真はそのまま');
  });
});
