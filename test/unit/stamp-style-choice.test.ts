import {
  parseStyleChoice,
  photoAcceptedMessage,
  styleChoiceText,
  styleChosenMessages,
  styleQuickReply,
} from '../../domain/stamp-style-choice';
import { STICKER_LOOKS } from '../../domain/sticker-style';
import { lineMessagesErrors } from '../support/line-openapi';

describe('style choice in LINE', () => {
  it('reads back what each button sends', () => {
    for (const look of STICKER_LOOKS) expect(parseStyleChoice(styleChoiceText(look))).toBe(look);
  });

  it('reads what a person types: spaces, full-width colon, English names', () => {
    expect(parseStyleChoice('スタイル ふきだし')).toBe('bubble');
    expect(parseStyleChoice('スタイル：でか文字')).toBe('bold');
    expect(parseStyleChoice('ｽﾀｲﾙ:まるぬき')).toBe('circle');
    expect(parseStyleChoice('style: Bubble')).toBe('bubble');
    expect(parseStyleChoice('  STYLE card ')).toBe('card');
  });

  it('leaves sticker texts alone', () => {
    for (const text of [
      'ありがとう',
      'ふきだし',
      'スタイル',
      'スタイル抜群',
      'スタイル:ふきだし\nありがとう',
      'style: comic',
      'stylish',
    ])
      expect(parseStyleChoice(text)).toBeUndefined();
  });

  it("builds messages LINE's OpenAPI description accepts", () => {
    const url = 'https://example.com/stamps/u/q/style-bubble.jpg?X-Amz-Signature=abc';
    const messages = [
      photoAcceptedMessage('写真を受け取りました！'),
      ...styleChosenMessages('bubble', url, 40),
    ];
    expect(lineMessagesErrors(messages)).toEqual([]);
    expect(messages[1]).toEqual({ type: 'image', originalContentUrl: url, previewImageUrl: url });
    const labels = (styleQuickReply('bold').items ?? []).map(
      (i) => (i.action as { label?: string }).label,
    );
    expect(labels).toEqual(['カード', 'まるぬき', 'ふきだし', '✓でか文字', 'キャンセル']);
  });
});
