import {
  MAIN_CANVAS,
  STICKER_CANVAS,
  countStickerChars,
  graphemeWidthEm,
  isEmojiGrapheme,
  planStickerText,
} from '../../domain/sticker-layout';

const lines = (text: string): string[] => planStickerText(text, STICKER_CANVAS)?.lines ?? [];

/** Everyday sticker phrases (each one 文節 or a set phrase) that must never be broken. */
const WHOLE_PHRASES = [
  'おつかれさま！',
  'おやすみなさい',
  'ありがとう',
  'ございます',
  'お願いします',
  'よろしく',
  'おはよう！',
  'ごめんなさい',
  'いってきます',
  'いってらっしゃい',
  'おかえりなさい',
  'おめでとう',
  'がんばって！',
  '了解しました！',
  'すみません',
  'ただいま〜',
];

/** Captions made of whole phrases: the split must fall between them. */
const CAPTIONS: ReadonlyArray<[string, string[]]> = [
  ['ありがとうございます', ['ありがとう', 'ございます']],
  ['よろしくお願いします', ['よろしく', 'お願いします']],
  ['本当にありがとうございます', ['本当にありがとう', 'ございます']],
  ['おめでとうございます', ['おめでとう', 'ございます']],
];

const SMALL_KANA_ETC =
  /^[ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶー、。，．！？!?」』）】〉》]/u;
const OPENING = /[「『（【〈《]$/u;

describe('Japanese line breaks by phrase (BudouX) with kinsoku', () => {
  it.each(WHOLE_PHRASES)('keeps %s on one line', (phrase) => {
    expect(lines(phrase)).toEqual([phrase]);
  });

  it.each(CAPTIONS)('breaks %s only between phrases', (text, expected) => {
    expect(lines(text)).toEqual(expected);
  });

  it('never splits a listed phrase when it sits inside a longer caption', () => {
    for (const a of WHOLE_PHRASES) {
      for (const b of ['ほんとうに', 'みんな']) {
        const text = `${b}${a}`;
        const got = lines(text);
        expect(got.some((l) => l.includes(a))).toBe(true);
      }
    }
  });

  it('starts no line with small kana, ー or closing punctuation, ends none with an opening bracket', () => {
    for (const text of [
      'ちょっと待ってて〜',
      '「ありがとう」って言いたい',
      'ラーメン食べたいっ！！',
      'ファイトーー！',
      '（笑）ありがとうございました。',
      'すごい、すごい！',
      'えっ？ほんとに？',
      'ショッピングしよ',
    ]) {
      const ls = lines(text);
      ls.slice(1).forEach((l) => expect(l).not.toMatch(SMALL_KANA_ETC));
      ls.slice(0, -1).forEach((l) => expect(l).not.toMatch(OPENING));
    }
  });

  it('balances two-line captions', () => {
    for (const text of ['ありがとうございます', 'よろしくお願いします', '明日もがんばろうね']) {
      const ls = lines(text);
      expect(ls).toHaveLength(2);
      const [a, b] = ls.map(countStickerChars);
      expect(Math.abs((a ?? 0) - (b ?? 0))).toBeLessThanOrEqual(3);
    }
  });
});

describe('emoji in captions', () => {
  it('counts an emoji as one character, whatever its code points', () => {
    expect(countStickerChars('やったね🎉')).toBe(5);
    expect(countStickerChars('👨‍👩‍👧OK')).toBe(3); // ZWJ family
    expect(countStickerChars('🇯🇵')).toBe(1); // flag
    expect(countStickerChars('❤️')).toBe(1); // VS16
  });

  it('tells emoji from text symbols the Japanese font draws', () => {
    expect(isEmojiGrapheme('🎉')).toBe(true);
    expect(isEmojiGrapheme('❤️')).toBe(true);
    expect(isEmojiGrapheme('👍🏽')).toBe(true);
    expect(isEmojiGrapheme('♡')).toBe(false);
    expect(isEmojiGrapheme('★')).toBe(false);
    expect(isEmojiGrapheme('あ')).toBe(false);
    expect(graphemeWidthEm('🎉')).toBeGreaterThan(1);
  });

  it('keeps an emoji with the phrase before it', () => {
    expect(lines('お誕生日おめでとう🎂')).toEqual(['お誕生日', 'おめでとう🎂']);
    expect(planStickerText('やったね🎉', MAIN_CANVAS)?.lines).toEqual(['やったね🎉']);
  });
});
