import fc from 'fast-check';
import {
  DESIGN_MAX_MESSAGE_CHARS,
  MAIN_CANVAS,
  STICKER_CANVAS,
  TAB_CANVAS,
  countStickerChars,
  layoutSticker,
  normalizeStickerText,
  photoBoxFor,
  placeTextBlock,
  planStickerText,
  shrinkToFit,
  splitIntoLines,
} from '../../domain/sticker-layout';
import catalog from '../../config/catalog.json';

const lines = (text: string): string[] => planStickerText(text, STICKER_CANVAS)?.lines ?? [];

describe('normalizeStickerText / countStickerChars', () => {
  it('trims, collapses spaces, drops control characters and empty lines', () => {
    expect(normalizeStickerText('  こんにちは\t\t世界  ')).toBe('こんにちは 世界');
    expect(normalizeStickerText('a\r\n\r\n b \u0007')).toBe('a\nb');
    expect(normalizeStickerText('\u200bゼロ幅')).toBe('ゼロ幅');
    expect(normalizeStickerText('   ')).toBe('');
  });

  it('composes dakuten (NFC) and counts graphemes, not UTF-16 units', () => {
    expect(normalizeStickerText('か\u3099')).toBe('が');
    expect(countStickerChars('ありがとう')).toBe(5);
    expect(countStickerChars('𠮷野家')).toBe(3); // surrogate pair
    expect(countStickerChars('👍🏽OK')).toBe(3); // emoji with skin tone modifier
    expect(countStickerChars('すごい\nね')).toBe(4);
  });
});

describe('line breaking', () => {
  it('keeps short messages on one line', () => {
    expect(lines('ありがとう')).toEqual(['ありがとう']);
    expect(lines('OK')).toEqual(['OK']);
  });

  it('breaks at natural phrase boundaries', () => {
    expect(lines('よろしくお願いします')).toEqual(['よろしく', 'お願いします']);
    expect(lines('ありがとうございます！')).toEqual(['ありがとう', 'ございます！']);
    expect(lines('了解しました！')).toEqual(['了解しました！']);
    expect(lines('明日は晴れるといいね')).toEqual(['明日は', '晴れるといいね']);
    expect(lines('Thank you very much!')).toEqual(['Thank you', 'very much!']);
  });

  it('follows kinsoku rules', () => {
    // No line may start with a small kana, ー, closing bracket or punctuation, nor end with an
    // opening bracket.
    const noStart = /^[ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮーｰ～〜」』）】。、！？!?,.]/u;
    const noEnd = /[「『（【]$/u;
    for (const text of [
      'ちょっと待ってて〜',
      '「ありがとう」って言いたい',
      'ラーメン食べたいっ！！',
      'きょうはとってもたのしかったー',
      'ファイトーー！',
      '（笑）ありがとうございました。',
    ]) {
      const ls = lines(text);
      ls.slice(1).forEach((l) => expect(l).not.toMatch(noStart));
      ls.slice(0, -1).forEach((l) => expect(l).not.toMatch(noEnd));
    }
  });

  it('does not split Latin words or numbers unless they cannot fit otherwise', () => {
    expect(lines('Supercalifragilistic')).toEqual(['Supercalifragilistic']);
    expect(lines('12345678901234567890')).toHaveLength(1);
    for (const l of lines('Happy Birthday 2025')) expect(l).not.toMatch(/^(?:irthday|025|25|5)$/);
  });

  it('keeps explicit line breaks when there are few enough', () => {
    expect(lines('すごい\nね')).toEqual(['すごい', 'ね']);
    expect(lines('a\nb\nc\nd')).toHaveLength(1); // 4 > 3 lines: reflowed
  });

  it('splits into exactly the requested number of lines', () => {
    const split = splitIntoLines('おはようございます', 3);
    expect(split?.lines).toHaveLength(3);
    expect(split?.lines.join('')).toBe('おはようございます');
    expect(splitIntoLines('あ', 2)).toBeNull();
  });

  it('never loses or reorders characters (property)', () => {
    const alphabet = Array.from('あいうえおかがきくっゃーー漢字「」！、。 ABCxyz1');
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...alphabet), { minLength: 1, maxLength: 24 }),
        (chars) => {
          const text = chars.join('');
          const plan = planStickerText(text, STICKER_CANVAS);
          const normalized = normalizeStickerText(text);
          if (normalized === '') return plan === null;
          if (plan === null) return false;
          const squash = (s: string): string => s.replace(/\s/g, '');
          return (
            squash(plan.lines.join('')) === squash(normalized) &&
            plan.lines.length <= 3 &&
            plan.lines.every((l) => l.length > 0) &&
            plan.fontPx >= 26 &&
            plan.fontPx <= 64
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('font size decisions', () => {
  it('sets every message of up to the catalog length at a legible size', () => {
    expect(catalog.stamp.maxMessageLength).toBeLessThanOrEqual(DESIGN_MAX_MESSAGE_CHARS);
    const samples = [
      '今日もおつかれさま！', // 10
      'いつもありがとうございます♪', // 14
      '本日はよろしくお願いいたします', // 15
      'ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰ', // 16 full-width Latin
      'おめでとうございます！！', // 12 (！ may not start a line: six of them make a 11-wide line)
    ];
    // A single phrase longer than a line is set smaller rather than split inside (BudouX):
    // 今日も一日|お疲れさまでした！！ gets 34 px, 16 kana with no phrase boundary 28 px.
    expect(
      planStickerText('今日も一日お疲れさまでした！！', STICKER_CANVAS)?.fontPx,
    ).toBeGreaterThanOrEqual(32);
    for (const text of samples) {
      expect(countStickerChars(text)).toBeLessThanOrEqual(DESIGN_MAX_MESSAGE_CHARS);
      const plan = planStickerText(text, STICKER_CANVAS);
      expect(plan).not.toBeNull();
      expect(plan?.fontPx).toBeGreaterThanOrEqual(36);
      expect(plan?.estimatedWidthPx).toBeLessThanOrEqual(plan?.maxWidthPx ?? 0);
      expect(plan?.estimatedHeightPx).toBeLessThanOrEqual(plan?.maxHeightPx ?? 0);
    }
  });

  it('uses the largest size for short text and prefers fewer lines', () => {
    expect(planStickerText('OK', STICKER_CANVAS)?.fontPx).toBe(64);
    expect(planStickerText('ありがとう', STICKER_CANVAS)?.lines).toHaveLength(1);
    // One phrase that fits one line at a legible size is never split (not おつかれ|さまです).
    expect(planStickerText('おつかれさまです', STICKER_CANVAS)?.lines).toEqual([
      'おつかれさまです',
    ]);
  });

  it('plans smaller text for the main image and none for the tab', () => {
    const main = planStickerText('ありがとう', MAIN_CANVAS);
    expect(main?.fontPx).toBeLessThanOrEqual(44);
    expect(main?.maxWidthPx).toBe(220);
    expect(planStickerText('ありがとう', TAB_CANVAS)).toBeNull();
    expect(planStickerText('   ', STICKER_CANVAS)).toBeNull();
  });

  it('asks for a smaller font when the rendered block overflows', () => {
    const plan = planStickerText('ありがとう', STICKER_CANVAS);
    if (plan === null) throw new Error('no plan');
    expect(shrinkToFit(plan, { width: 300, height: 80 })).toBeNull();
    const smaller = shrinkToFit(plan, { width: 400, height: 80 });
    expect(smaller).not.toBeNull();
    expect(smaller ?? 99).toBeLessThan(plan.fontPx);
  });
});

describe('geometry', () => {
  it('keeps the photo inside the margins and leaves room for the text', () => {
    for (const canvas of [STICKER_CANVAS, MAIN_CANVAS, TAB_CANVAS]) {
      for (const n of [0, 1, 2, 3]) {
        const box = photoBoxFor(canvas, n);
        expect(box.left).toBe(canvas.margin);
        expect(box.top).toBe(canvas.margin);
        expect(box.left + box.width).toBeLessThanOrEqual(canvas.width - canvas.margin);
        expect(box.top + box.height).toBeLessThanOrEqual(canvas.height - canvas.margin);
      }
    }
    expect(photoBoxFor(STICKER_CANVAS, 0).height).toBe(300);
    expect(photoBoxFor(STICKER_CANVAS, 1).height).toBeLessThan(300);
    expect(photoBoxFor(STICKER_CANVAS, 2).height).toBeLessThan(
      photoBoxFor(STICKER_CANVAS, 1).height,
    );
    expect(photoBoxFor(TAB_CANVAS, 2)).toEqual(photoBoxFor(TAB_CANVAS, 0));
  });

  it('centres the text block and bottom-aligns it inside the margins', () => {
    const plan = planStickerText('ありがとう', STICKER_CANVAS);
    const layout = layoutSticker(STICKER_CANVAS, plan);
    if (layout.text === null) throw new Error('no text rect');
    expect(layout.text.left).toBe(10);
    expect(layout.text.top + layout.text.height).toBe(310);
    const at = placeTextBlock(layout.text, { width: 200, height: 80 });
    expect(at).toEqual({ left: 10 + 75, top: 310 - 80 });
    // A block larger than the rect is clamped to its top-left corner.
    expect(placeTextBlock(layout.text, { width: 400, height: 400 })).toEqual({
      left: 10,
      top: layout.text.top,
    });
  });
});
