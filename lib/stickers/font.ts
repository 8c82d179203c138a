/**
 * The Japanese font used for sticker text.
 *
 * Source: the npm package `@expo-google-fonts/noto-sans-jp` (Noto Sans JP from Google Fonts,
 * SIL Open Font License 1.1; the package's own code is MIT), pinned in package.json, so
 * `npm ci` brings it to any machine with no root and no extra step. We use the Black (900)
 * weight as a static TrueType file. It covers kana, JIS X 0208 and most of JIS X 0213 kanji
 * (about 12,700 ideographs), full-width forms and common symbols (♡★♪→①); it has no emoji.
 *
 * The renderer passes the file explicitly to libvips/Pango (`fontfile`) and disables Pango's
 * font fallback, so the output never depends on the machine's fontconfig setup: a character
 * the font lacks would become a box, which is why `findUnsupportedCharacters` exists (intake
 * rejects such messages; the renderer refuses them too). Emoji are drawn from a second,
 * explicitly named font (`./emoji.ts`).
 *
 * Overrides: `STICKER_FONT_FILE` + `STICKER_FONT_NAME` (a Pango font name such as
 * `Noto Sans CJK JP Black`). As a last resort Debian's fonts-noto-cjk is used if installed.
 */

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isEmojiGrapheme, splitGraphemes } from '../../domain/sticker-line-breaks';
import { emojiFont, emojiFontHasGlyph, type EmojiFont } from './emoji';

export const FONT_PACKAGE = '@expo-google-fonts/noto-sans-jp';
const PACKAGE_FONT_FILE = '900Black/NotoSansJP_900Black.ttf';
const PACKAGE_FONT_NAME = 'Noto Sans JP Black';

const SYSTEM_FALLBACKS: ReadonlyArray<{ file: string; name: string }> = [
  { file: '/usr/share/fonts/opentype/noto/NotoSansCJK-Black.ttc', name: 'Noto Sans CJK JP Black' },
  { file: '/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc', name: 'Noto Sans CJK JP Bold' },
];

export interface StickerFont {
  /** Absolute path of the font file handed to libvips (`fontfile`). */
  file: string;
  /** Pango font name (family and weight, no size), e.g. `Noto Sans JP Black`. */
  name: string;
  source: 'env' | 'npm' | 'system';
}

let cached: StickerFont | undefined;

function locate(): StickerFont {
  const envFile = process.env.STICKER_FONT_FILE;
  const envName = process.env.STICKER_FONT_NAME;
  if (envFile) {
    if (!envName) throw new Error('STICKER_FONT_FILE is set but STICKER_FONT_NAME is not');
    if (!existsSync(envFile)) throw new Error(`STICKER_FONT_FILE not found: ${envFile}`);
    return { file: path.resolve(envFile), name: envName, source: 'env' };
  }
  try {
    const pkgJson = require.resolve(`${FONT_PACKAGE}/package.json`);
    const file = path.join(path.dirname(pkgJson), PACKAGE_FONT_FILE);
    if (existsSync(file)) return { file, name: PACKAGE_FONT_NAME, source: 'npm' };
  } catch {
    // not installed: try the system fonts below
  }
  for (const f of SYSTEM_FALLBACKS) {
    if (existsSync(f.file)) return { file: f.file, name: f.name, source: 'system' };
  }
  throw new Error(
    `No Japanese font for stickers: run \`npm ci\` (package ${FONT_PACKAGE}) ` +
      'or set STICKER_FONT_FILE and STICKER_FONT_NAME',
  );
}

/** The font to render sticker text with (located once per process). Throws if there is none. */
export function stickerFont(): StickerFont {
  cached ??= locate();
  return cached;
}

/** For tests: forget the located font and coverage (e.g. after changing the environment). */
export function resetStickerFontCache(): void {
  cached = undefined;
  coverageCache.clear();
}

// ---------------------------------------------------------------------------------------------
// Glyph coverage from the font's cmap table

type Ranges = Uint32Array; // flat [start0, end0, start1, end1, ...], sorted

const coverageCache = new Map<string, Ranges>();

function tableOffset(buf: Buffer, fontStart: number, tag: string): number {
  const numTables = buf.readUInt16BE(fontStart + 4);
  for (let i = 0; i < numTables; i++) {
    const rec = fontStart + 12 + 16 * i;
    if (buf.toString('latin1', rec, rec + 4) === tag) return buf.readUInt32BE(rec + 8);
  }
  throw new Error(`font has no ${tag} table`);
}

/** Parses the Unicode cmap (format 12, else format 4) into sorted code point ranges. */
export function parseCmapRanges(buf: Buffer): Ranges {
  // A TrueType collection shares one cmap among its fonts in practice: read the first font.
  const fontStart = buf.toString('latin1', 0, 4) === 'ttcf' ? buf.readUInt32BE(12) : 0;
  const cmap = tableOffset(buf, fontStart, 'cmap');
  const count = buf.readUInt16BE(cmap + 2);
  let fmt12 = -1;
  let fmt4 = -1;
  for (let i = 0; i < count; i++) {
    const rec = cmap + 4 + 8 * i;
    const platform = buf.readUInt16BE(rec);
    const encoding = buf.readUInt16BE(rec + 2);
    const sub = cmap + buf.readUInt32BE(rec + 4);
    const format = buf.readUInt16BE(sub);
    const unicode = platform === 0 || (platform === 3 && (encoding === 1 || encoding === 10));
    if (!unicode) continue;
    if (format === 12 && fmt12 < 0) fmt12 = sub;
    if (format === 4 && fmt4 < 0) fmt4 = sub;
  }
  const ranges: number[] = [];
  if (fmt12 >= 0) {
    const groups = buf.readUInt32BE(fmt12 + 12);
    for (let g = 0; g < groups; g++) {
      const at = fmt12 + 16 + 12 * g;
      ranges.push(buf.readUInt32BE(at), buf.readUInt32BE(at + 4));
    }
  } else if (fmt4 >= 0) {
    const segX2 = buf.readUInt16BE(fmt4 + 6);
    const ends = fmt4 + 14;
    const starts = ends + segX2 + 2;
    const deltas = starts + segX2;
    const rangeOffsets = deltas + segX2;
    for (let s = 0; s < segX2 / 2; s++) {
      const end = buf.readUInt16BE(ends + 2 * s);
      const start = buf.readUInt16BE(starts + 2 * s);
      const delta = buf.readUInt16BE(deltas + 2 * s);
      const ro = buf.readUInt16BE(rangeOffsets + 2 * s);
      if (start === 0xffff) continue;
      for (let c = start; c <= end; c++) {
        let glyph: number;
        if (ro === 0) glyph = (c + delta) & 0xffff;
        else {
          const at = rangeOffsets + 2 * s + ro + 2 * (c - start);
          const raw = buf.readUInt16BE(at);
          glyph = raw === 0 ? 0 : (raw + delta) & 0xffff;
        }
        if (glyph !== 0) ranges.push(c, c);
      }
    }
  } else {
    throw new Error('font has no Unicode cmap');
  }
  // Sort and merge adjacent ranges.
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i + 1 < ranges.length; i += 2) pairs.push([ranges[i] ?? 0, ranges[i + 1] ?? 0]);
  pairs.sort((a, b) => a[0] - b[0]);
  const merged: number[] = [];
  for (const [a, b] of pairs) {
    const last = merged.length - 1;
    if (last > 0 && a <= (merged[last] ?? 0) + 1) merged[last] = Math.max(merged[last] ?? 0, b);
    else merged.push(a, b);
  }
  return Uint32Array.from(merged);
}

function coverage(file: string): Ranges {
  let ranges = coverageCache.get(file);
  if (!ranges) {
    ranges = parseCmapRanges(readFileSync(file));
    coverageCache.set(file, ranges);
  }
  return ranges;
}

function covers(ranges: Ranges, cp: number): boolean {
  let lo = 0;
  let hi = ranges.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const start = ranges[2 * mid] ?? 0;
    const end = ranges[2 * mid + 1] ?? 0;
    if (cp < start) hi = mid - 1;
    else if (cp > end) lo = mid + 1;
    else return true;
  }
  return false;
}

/** Code points that need no glyph of their own. */
function ignorable(cp: number): boolean {
  return (
    cp === 0x0a ||
    cp === 0x20 ||
    cp === 0x200d || // zero width joiner
    (cp >= 0xfe00 && cp <= 0xfe0f) || // variation selectors
    (cp >= 0xe0100 && cp <= 0xe01ef)
  );
}

/** Whether the sticker font has a glyph for the code point. */
export function fontHasGlyph(cp: number, font: StickerFont = stickerFont()): boolean {
  return ignorable(cp) || covers(coverage(font.file), cp);
}

/**
 * The distinct characters of `text` neither font can draw, in order of first appearance; empty
 * when the whole text renders. An emoji grapheme (👍🏽, ❤️, 👨‍👩‍👧) is drawn by the emoji font
 * when it has every code point of it; pass `emoji = null` to check the text font alone.
 */
export function findUnsupportedCharacters(
  text: string,
  font: StickerFont = stickerFont(),
  emoji: EmojiFont | null = emojiFont(),
): string[] {
  const ranges = coverage(font.file);
  const out: string[] = [];
  const missing = (ch: string): void => {
    if (!out.includes(ch)) out.push(ch);
  };
  for (const g of splitGraphemes(text)) {
    const cps = Array.from(g, (ch) => ch.codePointAt(0) ?? 0).filter((cp) => !ignorable(cp));
    if (emoji !== null && isEmojiGrapheme(g) && cps.every((cp) => emojiFontHasGlyph(cp, emoji))) {
      continue;
    }
    for (const ch of g) {
      const cp = ch.codePointAt(0) ?? 0;
      if (!ignorable(cp) && !covers(ranges, cp)) missing(ch);
    }
  }
  return out;
}
