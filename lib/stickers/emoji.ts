/**
 * The colour emoji font for sticker captions.
 *
 * Source: Debian's `fonts-noto-color-emoji` (Noto Color Emoji, SIL Open Font License 1.1),
 * installed by `scripts/ensure-deps.sh` as Chromium is; override with
 * `STICKER_EMOJI_FONT_FILE` (+ `STICKER_EMOJI_FONT_NAME`). It is named explicitly: the caption
 * markup puts each emoji run in `<span font="Noto Color Emoji">`, and the Japanese text keeps
 * `fallback="false"`, so nothing depends on what fontconfig happens to pick.
 *
 * Can sharp draw colour glyphs? Measured with sharp 0.35.5 (libvips 8.18, Pango 1.58, cairo
 * 1.18, FreeType 2.14 with PNG): yes. libvips' text operation renders through cairo, and with
 * `rgba: true` cairo paints the font's CBDT bitmaps in colour (😺 on a caption: about a third
 * of its inked pixels are saturated; `test/unit/sticker-emoji.test.ts` checks it). Without
 * `rgba` libvips renders a one-channel coverage mask, where an emoji would be a grey blob; so
 * captions with emoji take the RGBA path and the others keep the faster mask path.
 *
 * Fallback. `emojiRendering()` probes once per process: colour pixels → 'colour'; ink but
 * no colour (a libvips built without colour support) → 'monochrome' (the emoji is drawn in the
 * text colour from its coverage); no ink, or no font at all → 'none', and then
 * `findUnsupportedCharacters` treats emoji as unsupported so intake refuses them with a clear
 * message: an emoji is never drawn as an empty box.
 */

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { parseCmapRanges } from './font';

export interface EmojiFont {
  file: string;
  /** Pango family name used in the markup. */
  name: string;
  source: 'env' | 'system';
}

const SYSTEM_EMOJI_FONTS: ReadonlyArray<{ file: string; name: string }> = [
  { file: '/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf', name: 'Noto Color Emoji' },
];

let located: EmojiFont | null | undefined;
let ranges: Uint32Array | undefined;

function locate(): EmojiFont | null {
  const envFile = process.env.STICKER_EMOJI_FONT_FILE;
  if (envFile) {
    if (!existsSync(envFile)) throw new Error(`STICKER_EMOJI_FONT_FILE not found: ${envFile}`);
    const name = process.env.STICKER_EMOJI_FONT_NAME ?? 'Noto Color Emoji';
    return { file: path.resolve(envFile), name, source: 'env' };
  }
  for (const f of SYSTEM_EMOJI_FONTS) {
    if (existsSync(f.file)) return { ...f, source: 'system' };
  }
  return null;
}

/** The emoji font, or null when none is installed (emoji are then refused). */
export function emojiFont(): EmojiFont | null {
  if (located === undefined) located = locate();
  return located;
}

/** For tests: forget the located font and the probe. */
export function resetEmojiFontCache(): void {
  located = undefined;
  ranges = undefined;
  probe = undefined;
}

/** Whether the emoji font has a glyph for the code point. */
export function emojiFontHasGlyph(cp: number, font: EmojiFont | null = emojiFont()): boolean {
  if (font === null) return false;
  ranges ??= parseCmapRanges(readFileSync(font.file));
  let lo = 0;
  let hi = ranges.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cp < (ranges[2 * mid] ?? 0)) hi = mid - 1;
    else if (cp > (ranges[2 * mid + 1] ?? 0)) lo = mid + 1;
    else return true;
  }
  return false;
}

export type EmojiRendering = 'colour' | 'monochrome' | 'none';

let probe: Promise<EmojiRendering> | undefined;

/**
 * Registers the emoji font with libvips' fontconfig (a render with `fontfile` adds the file to
 * the process's font set for every later render) and measures what an emoji turns into.
 */
export function emojiRendering(): Promise<EmojiRendering> {
  probe ??= (async (): Promise<EmojiRendering> => {
    const font = emojiFont();
    if (font === null) return 'none';
    const { data, info } = await sharp({
      text: {
        text: `<span font="${font.name} 48">😺</span>`,
        fontfile: font.file,
        rgba: true,
        dpi: 72,
      },
    })
      .raw()
      .toBuffer({ resolveWithObject: true });
    let ink = 0;
    let colour = 0;
    for (let i = 0; i + 3 < data.length; i += info.channels) {
      if ((data[i + 3] ?? 0) < 128) continue;
      ink++;
      const r = data[i] ?? 0;
      const g = data[i + 1] ?? 0;
      const b = data[i + 2] ?? 0;
      if (Math.max(r, g, b) - Math.min(r, g, b) > 60) colour++;
    }
    if (ink < 50) return 'none';
    return colour > ink / 10 ? 'colour' : 'monochrome';
  })();
  return probe;
}
