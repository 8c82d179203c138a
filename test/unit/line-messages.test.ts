import fc from 'fast-check';
import { MAX_TEXT_LENGTH, splitText, toMessageBatches } from '../../domain/line-messages';

describe('splitText', () => {
  it('keeps a short text whole', () => {
    expect(splitText('こんにちは')).toEqual(['こんにちは']);
  });

  it('splits at a sentence end when one is near the limit', () => {
    const text = 'あ'.repeat(4000) + '。' + 'い'.repeat(3000);
    const parts = splitText(text);
    expect(parts).toEqual(['あ'.repeat(4000) + '。', 'い'.repeat(3000)]);
  });

  it('never exceeds the limit and loses no characters', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 400 }),
        fc.integer({ min: 10, max: 60 }),
        (text, max) => {
          const parts = splitText(text, max);
          for (const p of parts) expect(Array.from(p).length).toBeLessThanOrEqual(max);
          expect(parts.join('').replace(/\s/g, '')).toBe(text.replace(/\s/g, ''));
        },
      ),
    );
  });

  it('counts surrogate pairs as one character, as LINE does', () => {
    const parts = splitText('😀'.repeat(MAX_TEXT_LENGTH + 1));
    expect(parts.map((p) => Array.from(p).length)).toEqual([MAX_TEXT_LENGTH, 1]);
  });
});

describe('toMessageBatches', () => {
  it('groups at most five messages per call', () => {
    const batches = toMessageBatches(Array.from({ length: 7 }, (_, i) => `m${i}`));
    expect(batches.map((b) => b.length)).toEqual([5, 2]);
    expect(batches[0]![0]).toEqual({ type: 'text', text: 'm0' });
  });
});
