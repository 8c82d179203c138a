import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  FONT_PACKAGE,
  findUnsupportedCharacters,
  fontHasGlyph,
  parseCmapRanges,
  stickerFont,
} from '../../lib/stickers/font';
import { renderTextMask } from '../../lib/stickers/render';

type Mask = { data: Buffer; width: number; height: number };

/** Intersection over union of two inked masks laid top-left on top of each other. */
function iou(a: Mask, b: Mask): number {
  const w = Math.max(a.width, b.width);
  const h = Math.max(a.height, b.height);
  let inter = 0;
  let union = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const pa = x < a.width && y < a.height && (a.data[y * a.width + x] ?? 0) >= 128;
      const pb = x < b.width && y < b.height && (b.data[y * b.width + x] ?? 0) >= 128;
      if (pa && pb) inter++;
      if (pa || pb) union++;
    }
  }
  return union === 0 ? 1 : inter / union;
}

describe('sticker font', () => {
  it('comes from the pinned npm package, so `npm ci` is the whole setup', () => {
    const font = stickerFont();
    expect(font.source).toBe('npm');
    expect(font.file).toContain(path.join('node_modules', ...FONT_PACKAGE.split('/')));
    expect(font.file).toMatch(/\.ttf$/);
    expect(font.name).toBe('Noto Sans JP Black');
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(pkg.dependencies[FONT_PACKAGE]).toMatch(/^\d+\.\d+\.\d+$/); // pinned exactly
  });

  it('covers kana, JIS kanji and common symbols; emoji come from the emoji font', () => {
    const text =
      'あいうえおアイウエオァッャーヴ漢字髙﨑鷗𠮷、。「」！？♡♥★☆♪→①％＠ＡＺａｚ０９ABCabc019';
    expect(findUnsupportedCharacters(text)).toEqual([]);
    // The text font alone has no emoji; with the colour emoji font only the private-use one is left.
    expect(findUnsupportedCharacters('ありがとう😀👍🏽\uE000', stickerFont(), null)).toEqual([
      '😀',
      '👍',
      '🏽',
      '\uE000',
    ]);
    expect(findUnsupportedCharacters('ありがとう😀👍🏽\uE000')).toEqual(['\uE000']);
    expect(fontHasGlyph(0x3042)).toBe(true); // あ
    expect(fontHasGlyph(0x1f600)).toBe(false); // 😀
    // Joiners and variation selectors need no glyph of their own.
    expect(findUnsupportedCharacters('葛\u{E0100}♡\uFE0F')).toEqual([]);
  });

  it('parses the cmap into sorted, merged ranges', () => {
    const ranges = parseCmapRanges(readFileSync(stickerFont().file));
    expect(ranges.length % 2).toBe(0);
    let covered = 0;
    let ordered = true;
    for (let i = 0; i + 1 < ranges.length; i += 2) {
      const start = ranges[i] ?? 0;
      const end = ranges[i + 1] ?? 0;
      if (end < start || (i > 0 && start <= (ranges[i - 1] ?? 0) + 1)) ordered = false;
      covered += end - start + 1;
    }
    expect(ordered).toBe(true);
    expect(covered).toBeGreaterThan(15_000);
  });

  it('renders Japanese as real glyphs, not missing-glyph boxes', async () => {
    // Private-use code points are certainly missing from the font: Pango draws them as boxes
    // ("tofu"). Two tofu boxes overlap strongly, so the metric does detect tofu...
    const tofuA = await renderTextMask(['\uE000'], 64);
    const tofuB = await renderTextMask(['\uE123'], 64);
    expect(iou(tofuA, tofuB)).toBeGreaterThan(0.6);
    // ...while every Japanese character looks nothing like a box.
    for (const ch of Array.from('ありがとう了解お疲れ様ー！')) {
      const glyph = await renderTextMask([ch], 64);
      expect({ ch, iou: iou(glyph, tofuA) < 0.5 }).toEqual({ ch, iou: true });
    }
    // And distinct characters give distinct ink.
    const a = await renderTextMask(['あ'], 64);
    const i = await renderTextMask(['い'], 64);
    expect(iou(a, i)).toBeLessThan(0.5);
  });
});
