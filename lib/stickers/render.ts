/**
 * Sticker rendering with sharp (libvips + Pango).
 *
 * A sticker is a transparent RGBA PNG: the photo, auto-oriented, cropped on its subject
 * (`./crop.ts`) and cut to the look's shape (rounded card, circle, or full bleed), and the
 * caption in bold Japanese type (Noto Sans JP Black, emoji from Noto Color Emoji) with an
 * outline stroke, over the photo's edge or in a speech bubble. Geometry and typography are
 * decided in `domain/sticker-layout.ts` and `domain/sticker-style-layout.ts`; this module draws.
 *
 * Speed: `prepareBase` decodes and orients the photo once per set; the cut-out photo layer is
 * cached per photo shape (it depends only on the look and the number of caption lines), so
 * each sticker costs one Pango text render, an outline computed in JS (`./pixels.ts`), a blend
 * and a PNG encode.
 *
 * Output metadata: the PNG is encoded from raw pixels, so it carries no EXIF, XMP, ICC or GPS;
 * the only extra chunk is pHYs (72 dpi), added by hand (sharp's `withDensity` would write EXIF).
 */

import sharp from 'sharp';
import { BusinessError } from '../../domain/errors';
import { isEmojiGrapheme, splitGraphemes } from '../../domain/sticker-line-breaks';
import {
  CANVASES,
  FONT_METRICS,
  countStickerChars,
  normalizeStickerText,
  planStickerText,
  shrinkToFit,
  type CanvasSpec,
  type TextPlan,
} from '../../domain/sticker-layout';
import { MIN_DPI, type StickerImageKind } from '../../domain/sticker-spec';
import { DEFAULT_STICKER_STYLE, type StickerStyle } from '../../domain/sticker-style';
import {
  bubbleAround,
  layoutStyledSticker,
  photoShapeFor,
  placeStyledText,
  styledStrokeFor,
  textCanvasFor,
  type PhotoShape,
} from '../../domain/sticker-style-layout';
import { emojiFont, emojiRendering } from './emoji';
import { findUnsupportedCharacters, stickerFont } from './font';
import { RENDER_MAX_INPUT_PIXELS } from './input';
import { blit, copyInto, outlineText, withPngDensity, type Layer } from './pixels';
import { bubbleLayer, photoLayer } from './shapes';

export { withPngDensity };

export interface RenderOptions {
  /** The look, caption position and colours (default: the rounded card, caption at the bottom). */
  style?: StickerStyle;
  /** Text colour, `#rrggbb`; overrides the style's. */
  textColor?: string;
  /** Outline colour around the text, `#rrggbb`; overrides the style's. */
  strokeColor?: string;
  /** zlib level 0..9 of the PNG (default 6; every setting stays far below 1 MB). */
  compressionLevel?: number;
}

export interface PrepareOptions {
  /** Refuse inputs with more pixels than this (decompression bombs). */
  maxInputPixels?: number;
}

/** A decoded, oriented, downscaled photo, reusable for every image of a set. */
export interface PreparedBase {
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
  readonly channels: 3;
  /** Cut-out photo layers (RGBA) per photo shape; filled lazily. */
  readonly layers: Map<string, Promise<Layer>>;
}

/** Longest side kept from the original: enough for the largest photo box with cropping room. */
const PREPARED_MAX_SIDE = 1024;
/** Hard limit on what the renderer accepts as text (intake enforces the real, smaller one). */
const MAX_RENDER_GRAPHEMES = 64;

const DEFAULT_COMPRESSION = 6;

// ---------------------------------------------------------------------------------------------
// Base photo

/**
 * Decodes the photo once: applies the EXIF orientation, flattens transparency onto white,
 * converts to sRGB and shrinks it to at most 1024 px. Large photos (a 48-megapixel phone
 * photo) are scaled down here, while decoding: JPEG and WebP shrink on load, so the full
 * size is never held in memory. Throws `INVALID_INPUT` for an image that cannot be decoded or
 * exceeds the decompression-bomb bound.
 */
export async function prepareBase(base: Buffer, opts: PrepareOptions = {}): Promise<PreparedBase> {
  const limit = opts.maxInputPixels ?? RENDER_MAX_INPUT_PIXELS;
  try {
    const { data, info } = await sharp(base, { limitInputPixels: limit, failOn: 'truncated' })
      .autoOrient()
      .resize(PREPARED_MAX_SIDE, PREPARED_MAX_SIDE, {
        fit: 'inside',
        withoutEnlargement: true,
        fastShrinkOnLoad: true,
      })
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`unexpected ${info.channels} channels`);
    return { data, width: info.width, height: info.height, channels: 3, layers: new Map() };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new BusinessError('INVALID_INPUT', '画像を読み込めませんでした。', {
      field: 'image',
      reason: /pixel limit/i.test(message) ? 'TOO_MANY_PIXELS' : 'CORRUPT',
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Text

function escapeMarkup(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function parseHex(color: string): [number, number, number] {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  if (!m) throw new BusinessError('INVALID_INPUT', `bad colour ${color}`, { field: 'color' });
  return [parseInt(m[1] ?? '0', 16), parseInt(m[2] ?? '0', 16), parseInt(m[3] ?? '0', 16)];
}

/**
 * Pango markup for the lines of a plan at a font size. Font fallback is off on purpose: the
 * text font draws everything but emoji, which are put in spans of the named emoji font.
 */
export function textMarkup(
  lines: readonly string[],
  fontPx: number,
  lineHeight: number,
  color?: string,
): string {
  const font = stickerFont();
  const emoji = emojiFont();
  const foreground = color === undefined ? '' : ` foreground="${color}"`;
  const body = lines
    .map((line) => {
      if (emoji === null) return escapeMarkup(line);
      let out = '';
      let run = '';
      let runIsEmoji = false;
      const flush = (): void => {
        if (run === '') return;
        out += runIsEmoji
          ? `<span font="${emoji.name} ${fontPx}">${run}</span>`
          : escapeMarkup(run);
        run = '';
      };
      for (const g of splitGraphemes(line)) {
        const e = isEmojiGrapheme(g);
        if (e !== runIsEmoji) flush();
        runIsEmoji = e;
        run += g;
      }
      flush();
      return out;
    })
    .join('\n');
  return `<span font="${font.name} ${fontPx}" fallback="false" line_height="${lineHeight}"${foreground}>${body}</span>`;
}

/**
 * Glyph coverage mask (one byte per pixel, 255 = ink) of centred lines in the sticker font,
 * cropped by libvips to the inked area.
 */
export async function renderTextMask(
  lines: readonly string[],
  fontPx: number,
  lineHeight: number = FONT_METRICS.lineHeightFactor,
): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp({
    text: {
      text: textMarkup(lines, fontPx, lineHeight),
      fontfile: stickerFont().file,
      align: 'centre',
      dpi: 72, // 1 pt = 1 px
    },
  })
    .extractChannel(0)
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/**
 * Lines with emoji, rendered in colour (RGBA, letters in `color`), with their coverage mask
 * (the alpha channel). See `./emoji.ts` for why this path exists.
 */
export async function renderTextColour(
  lines: readonly string[],
  fontPx: number,
  lineHeight: number,
  color: string,
): Promise<{ mask: { data: Buffer; width: number; height: number }; rgba: Buffer }> {
  const { data, info } = await sharp({
    text: {
      text: textMarkup(lines, fontPx, lineHeight, color),
      fontfile: stickerFont().file,
      align: 'centre',
      dpi: 72,
      rgba: true,
    },
  })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const n = info.width * info.height;
  const mask = Buffer.alloc(n);
  for (let i = 0; i < n; i++) mask[i] = data[i * 4 + 3] ?? 0;
  return { mask: { data: mask, width: info.width, height: info.height }, rgba: data };
}

interface TextColours {
  text: string;
  stroke: string;
}

/** Renders the plan, shrinking the font while the block overflows its box (at most 4 renders). */
async function renderTextLayer(
  plan: TextPlan,
  style: StickerStyle,
  colours: TextColours,
): Promise<Layer> {
  const hasEmoji = splitGraphemes(plan.lines.join('')).some(isEmojiGrapheme);
  // Colour glyphs only when the probe saw colour; otherwise the emoji's coverage in text colour.
  const colourEmoji = hasEmoji && (await emojiRendering()) === 'colour';
  const fill = parseHex(colours.text);
  const stroke = parseHex(colours.stroke);
  let fontPx = plan.fontPx;
  let layer: Layer | null = null;
  for (let attempt = 0; attempt < 4; attempt++) {
    const strokePx = styledStrokeFor(fontPx, style);
    if (colourEmoji) {
      const { mask, rgba } = await renderTextColour(
        plan.lines,
        fontPx,
        plan.lineHeightFactor,
        colours.text,
      );
      layer = outlineText(mask, strokePx, fill, stroke, rgba);
    } else {
      const mask = await renderTextMask(plan.lines, fontPx, plan.lineHeightFactor);
      layer = outlineText(mask, strokePx, fill, stroke);
    }
    const next = shrinkToFit(plan, layer);
    if (next === null || next >= fontPx) break;
    fontPx = next;
  }
  if (layer === null) throw new Error('text rendering produced nothing');
  return layer;
}

// ---------------------------------------------------------------------------------------------
// Composition and encoding

async function encodePng(
  canvas: Buffer,
  width: number,
  height: number,
  level: number,
): Promise<Buffer> {
  const png = await sharp(canvas, { raw: { width, height, channels: 4 } })
    .png({ compressionLevel: level, adaptiveFiltering: false })
    .toBuffer();
  return withPngDensity(png, MIN_DPI);
}

function checkText(text: string): void {
  const unsupported = findUnsupportedCharacters(text);
  if (unsupported.length > 0) {
    throw new BusinessError(
      'INVALID_INPUT',
      `使えない文字が含まれています: ${unsupported.join(' ')}`,
      {
        field: 'message',
        reason: 'UNSUPPORTED_CHARACTERS',
        characters: unsupported.join(''),
      },
    );
  }
}

async function renderOnCanvas(
  prepared: PreparedBase,
  canvas: CanvasSpec,
  text: string | undefined,
  options: RenderOptions,
): Promise<Buffer> {
  const style = options.style ?? DEFAULT_STICKER_STYLE;
  const colours = {
    text: options.textColor ?? style.textColor,
    stroke: options.strokeColor ?? style.strokeColor,
  };
  if (text !== undefined) {
    // Before planning: line breaking is quadratic in the length.
    if (text.length > 4 * MAX_RENDER_GRAPHEMES || countStickerChars(text) > MAX_RENDER_GRAPHEMES) {
      throw new BusinessError('INVALID_INPUT', 'メッセージが長すぎます。', {
        field: 'message',
        reason: 'TOO_LONG',
      });
    }
    checkText(normalizeStickerText(text));
  }
  // Text that is empty after normalisation gives a photo-only image.
  const plan = text === undefined ? null : planStickerText(text, textCanvasFor(canvas, style));
  const layout = layoutStyledSticker(canvas, style, plan);
  const [photo, textLayer] = await Promise.all([
    photoLayer(prepared, layout.photo, style.accentColor),
    plan === null ? Promise.resolve(null) : renderTextLayer(plan, style, colours),
  ]);
  const pixels = Buffer.alloc(canvas.width * canvas.height * 4);
  copyInto(pixels, canvas.width, canvas.height, photo, layout.photo.left, layout.photo.top);
  if (textLayer !== null && layout.text !== null) {
    let at = placeStyledText(layout.text, textLayer, layout.align);
    if (style.look === 'bubble') {
      const { bubble, textAt } = bubbleAround(canvas, style, textLayer, layout.photo);
      blit(
        pixels,
        canvas.width,
        canvas.height,
        await bubbleLayer(bubble, style.accentColor, canvas),
        0,
        0,
      );
      at = textAt;
    }
    blit(pixels, canvas.width, canvas.height, textLayer, at.left, at.top);
  }
  return encodePng(
    pixels,
    canvas.width,
    canvas.height,
    options.compressionLevel ?? DEFAULT_COMPRESSION,
  );
}

/** One sticker (370×320) from a prepared photo. */
export function renderStickerFromPrepared(
  prepared: PreparedBase,
  text: string,
  options: RenderOptions = {},
): Promise<Buffer> {
  return renderOnCanvas(prepared, CANVASES.sticker, text, options);
}

/** One sticker (370×320) from the photo's bytes. Prefer `prepareBase` once per set. */
export async function renderSticker(
  base: Buffer | PreparedBase,
  text: string,
  options: RenderOptions = {},
): Promise<Buffer> {
  const prepared = Buffer.isBuffer(base) ? await prepareBase(base) : base;
  return renderStickerFromPrepared(prepared, text, options);
}

/** Main image (240×240): the photo, with the text when given, in the set's style. */
export async function renderMainImage(
  base: Buffer | PreparedBase,
  text?: string,
  options: RenderOptions = {},
): Promise<Buffer> {
  const prepared = Buffer.isBuffer(base) ? await prepareBase(base) : base;
  const t = text === undefined || text.trim() === '' ? undefined : text;
  return renderOnCanvas(prepared, CANVASES.main, t, options);
}

/** Tab image (96×74): the photo only (the style's shape, no caption). */
export async function renderTabImage(
  base: Buffer | PreparedBase,
  options: Pick<RenderOptions, 'style'> = {},
): Promise<Buffer> {
  const prepared = Buffer.isBuffer(base) ? await prepareBase(base) : base;
  return renderOnCanvas(prepared, CANVASES.tab, undefined, options);
}

/** The photo shape used for a kind, line count and style (exposed for tests and previews). */
export function photoBox(
  kind: StickerImageKind,
  lineCount: number,
  style: StickerStyle = DEFAULT_STICKER_STYLE,
): PhotoShape {
  return photoShapeFor(CANVASES[kind], style, lineCount);
}
