/**
 * Sticker rendering with sharp (libvips + Pango).
 *
 * A sticker is a transparent RGBA PNG: the photo, auto-oriented and cut into a rounded
 * rectangle with a white outline, and the message in bold Japanese type (Noto Sans JP Black)
 * with a white outline stroke, centred at the bottom and overlapping the photo's lower edge.
 * Geometry and typography are decided in `domain/sticker-layout.ts`; this module draws.
 *
 * Speed: `prepareBase` decodes and orients the photo once per set; the cut-out photo layer is
 * cached per photo box (it depends only on the number of text lines), so each sticker costs one
 * Pango text render, an outline computed in JS (exact Euclidean distance transform), a blend
 * and a PNG encode.
 *
 * Output metadata: the PNG is encoded from raw pixels, so it carries no EXIF, XMP, ICC or GPS;
 * the only extra chunk is pHYs (72 dpi), added by hand (sharp's `withDensity` would write EXIF).
 */

import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { BusinessError } from '../../domain/errors';
import {
  CANVASES,
  FONT_METRICS,
  countStickerChars,
  normalizeStickerText,
  layoutSticker,
  photoBoxFor,
  placeTextBlock,
  planStickerText,
  shrinkToFit,
  strokeFor,
  type CanvasSpec,
  type PhotoBox,
  type TextPlan,
} from '../../domain/sticker-layout';
import { MIN_DPI, type StickerImageKind } from '../../domain/sticker-spec';
import { findUnsupportedCharacters, stickerFont } from './font';
import { DEFAULT_INPUT_LIMITS } from './input';

export interface RenderOptions {
  /** Text colour, `#rrggbb`. Default near-black. */
  textColor?: string;
  /** Outline colour around the text, `#rrggbb`. Default white. */
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
  /** Cut-out photo layers (RGBA) per photo box; filled lazily. */
  readonly layers: Map<string, Promise<Layer>>;
}

interface Layer {
  data: Buffer;
  width: number;
  height: number;
}

/** Longest side kept from the original: enough for the largest photo box with cropping room. */
const PREPARED_MAX_SIDE = 1024;
/** Hard limit on what the renderer accepts as text (intake enforces the real, smaller one). */
const MAX_RENDER_GRAPHEMES = 64;
/** Opacity of the thin dark rim outside the text outline. */
const RIM_ALPHA = 0.22;

// Hot loops use these module-level aliases rather than the globals: inside a vm context (as
// under jest) every `Math.x` or `Infinity` lookup is a slow global-proxy access.
const sqrt = Math.sqrt;
const POS_INF = Number.POSITIVE_INFINITY;
const NEG_INF = Number.NEGATIVE_INFINITY;
function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}
/** Rounds a non-negative number to the nearest integer. */
function round(v: number): number {
  return (v + 0.5) | 0;
}

const DEFAULTS = { textColor: '#222222', strokeColor: '#ffffff', compressionLevel: 6 };

// ---------------------------------------------------------------------------------------------
// Base photo

/**
 * Decodes the photo once: applies the EXIF orientation, flattens transparency onto white,
 * converts to sRGB and shrinks it to at most 1024 px. Throws `INVALID_INPUT` for an image that
 * cannot be decoded or exceeds the pixel limit.
 */
export async function prepareBase(base: Buffer, opts: PrepareOptions = {}): Promise<PreparedBase> {
  const limit = opts.maxInputPixels ?? DEFAULT_INPUT_LIMITS.maxInputPixels;
  try {
    const { data, info } = await sharp(base, { limitInputPixels: limit, failOn: 'truncated' })
      .autoOrient()
      .resize(PREPARED_MAX_SIDE, PREPARED_MAX_SIDE, { fit: 'inside', withoutEnlargement: true })
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

function roundedRectSvg(
  width: number,
  height: number,
  radius: number,
  fill: string,
  hairline: boolean,
): Buffer {
  const r = Math.min(radius, width / 2, height / 2);
  const stroke = hairline ? ' stroke="#000000" stroke-opacity="0.14" stroke-width="1"' : '';
  const inset = hairline ? 0.5 : 0;
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
      `<rect x="${inset}" y="${inset}" width="${width - 2 * inset}" height="${height - 2 * inset}"` +
      ` rx="${r}" ry="${r}" fill="${fill}"${stroke}/></svg>`,
  );
}

/** The photo cropped to the box (salient region kept), rounded, on a white rounded outline. */
async function buildPhotoLayer(prepared: PreparedBase, box: PhotoBox): Promise<Layer> {
  const innerW = Math.max(1, box.width - 2 * box.border);
  const innerH = Math.max(1, box.height - 2 * box.border);
  const innerR = Math.max(0, box.radius - box.border);
  const photo = await sharp(prepared.data, {
    raw: { width: prepared.width, height: prepared.height, channels: prepared.channels },
  })
    .resize(innerW, innerH, { fit: 'cover', position: sharp.strategy.attention })
    .ensureAlpha()
    .composite([
      { input: roundedRectSvg(innerW, innerH, innerR, '#ffffff', false), blend: 'dest-in' },
    ])
    .raw()
    .toBuffer({ resolveWithObject: true });
  const { data, info } = await sharp(
    roundedRectSvg(box.width, box.height, box.radius, '#ffffff', true),
  )
    .composite([
      {
        input: photo.data,
        raw: { width: photo.info.width, height: photo.info.height, channels: 4 },
        left: box.border,
        top: box.border,
      },
    ])
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

function photoLayer(prepared: PreparedBase, box: PhotoBox): Promise<Layer> {
  const key = `${box.width}x${box.height}r${box.radius}b${box.border}`;
  let layer = prepared.layers.get(key);
  if (!layer) {
    layer = buildPhotoLayer(prepared, box);
    prepared.layers.set(key, layer);
    layer.catch(() => prepared.layers.delete(key));
  }
  return layer;
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

/** Pango markup for the lines of a plan at a font size. Font fallback is off on purpose. */
export function textMarkup(lines: readonly string[], fontPx: number, lineHeight: number): string {
  const font = stickerFont();
  return (
    `<span font="${font.name} ${fontPx}" fallback="false" line_height="${lineHeight}">` +
    `${lines.map(escapeMarkup).join('\n')}</span>`
  );
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
 * Squared Euclidean distance transform (Felzenszwalb & Huttenlocher) of a binary image, in
 * place: `grid` holds 0 for ink and a large value elsewhere.
 */
function distanceTransform(grid: Float64Array, width: number, height: number): void {
  const n = Math.max(width, height);
  const f = new Float64Array(n);
  const d = new Float64Array(n);
  const v = new Int32Array(n);
  const z = new Float64Array(n + 1);
  const pass = (len: number): void => {
    let k = 0;
    v[0] = 0;
    z[0] = NEG_INF;
    z[1] = POS_INF;
    for (let q = 1; q < len; q++) {
      const fq = (f[q] ?? 0) + q * q;
      let vk = v[k] ?? 0;
      let s = (fq - ((f[vk] ?? 0) + vk * vk)) / (2 * q - 2 * vk);
      // z[0] is -Infinity, so this stops at k = 0 at the latest.
      while (s <= (z[k] ?? NEG_INF)) {
        k--;
        vk = v[k] ?? 0;
        s = (fq - ((f[vk] ?? 0) + vk * vk)) / (2 * q - 2 * vk);
      }
      k++;
      v[k] = q;
      z[k] = s;
      z[k + 1] = POS_INF;
    }
    k = 0;
    for (let q = 0; q < len; q++) {
      while ((z[k + 1] ?? POS_INF) < q) k++;
      const vk = v[k] ?? 0;
      d[q] = (q - vk) * (q - vk) + (f[vk] ?? 0);
    }
  };
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) f[y] = grid[y * width + x] ?? 0;
    pass(height);
    for (let y = 0; y < height; y++) grid[y * width + x] = d[y] ?? 0;
  }
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) f[x] = grid[row + x] ?? 0;
    pass(width);
    for (let x = 0; x < width; x++) grid[row + x] = d[x] ?? 0;
  }
}

/**
 * The text layer (straight-alpha RGBA): the glyphs in `fill` over an outline of `strokePx` in
 * `stroke`, with a faint dark rim outside the outline so white-on-white still reads.
 */
function outlineText(
  mask: Layer,
  strokePx: number,
  fill: [number, number, number],
  stroke: [number, number, number],
): Layer {
  const rim = 1.5;
  const pad = Math.ceil(strokePx + rim + 0.5);
  const width = mask.width + 2 * pad;
  const height = mask.height + 2 * pad;
  const coverage = new Uint8Array(width * height);
  const grid = new Float64Array(width * height).fill(1e12);
  for (let y = 0; y < mask.height; y++) {
    for (let x = 0; x < mask.width; x++) {
      const m = mask.data[y * mask.width + x] ?? 0;
      const at = (y + pad) * width + x + pad;
      coverage[at] = m;
      if (m >= 128) grid[at] = 0;
    }
  }
  distanceTransform(grid, width, height);
  const out = Buffer.alloc(width * height * 4);
  const [fr, fg, fb] = fill;
  const [sr, sg, sb] = stroke;
  const reach = strokePx + rim + 0.5;
  const reach2 = reach * reach;
  for (let i = 0; i < width * height; i++) {
    const d2 = grid[i] ?? 0;
    const cov = coverage[i] ?? 0;
    if (d2 >= reach2 && cov === 0) continue; // stays transparent
    const dist = sqrt(d2);
    // Rim (black, faint) under the stroke under the glyphs; straight alpha throughout.
    const as = clamp01(strokePx + 0.5 - dist);
    const ar = RIM_ALPHA * clamp01(reach - dist);
    const a1 = as + ar * (1 - as);
    const k1 = a1 > 0 ? as / a1 : 0;
    const af = cov / 255;
    const a2 = af + a1 * (1 - af);
    if (a2 <= 0) continue;
    const wf = af / a2;
    const wb = (a1 * (1 - af)) / a2;
    const o = i * 4;
    out[o] = round(fr * wf + sr * k1 * wb);
    out[o + 1] = round(fg * wf + sg * k1 * wb);
    out[o + 2] = round(fb * wf + sb * k1 * wb);
    out[o + 3] = round(a2 * 255);
  }
  return { data: out, width, height };
}

/** Renders the plan, shrinking the font while the block overflows its box (at most 4 renders). */
async function renderTextLayer(plan: TextPlan, opts: Required<RenderOptions>): Promise<Layer> {
  let fontPx = plan.fontPx;
  let layer: Layer | null = null;
  for (let attempt = 0; attempt < 4; attempt++) {
    const strokePx = strokeFor(fontPx);
    const mask = await renderTextMask(plan.lines, fontPx, plan.lineHeightFactor);
    layer = outlineText(mask, strokePx, parseHex(opts.textColor), parseHex(opts.strokeColor));
    const next = shrinkToFit(plan, layer);
    if (next === null || next >= fontPx) break;
    fontPx = next;
  }
  if (layer === null) throw new Error('text rendering produced nothing');
  return layer;
}

// ---------------------------------------------------------------------------------------------
// Composition and encoding

/** Copies a layer onto a transparent area of the canvas (no blending needed). */
function copyInto(
  canvas: Buffer,
  cw: number,
  ch: number,
  layer: Layer,
  left: number,
  top: number,
): void {
  const x0 = Math.max(0, left);
  const x1 = Math.min(cw, left + layer.width);
  if (x1 <= x0) return;
  for (let y = 0; y < layer.height; y++) {
    const cy = top + y;
    if (cy < 0 || cy >= ch) continue;
    const src = (y * layer.width + (x0 - left)) * 4;
    layer.data.copy(canvas, (cy * cw + x0) * 4, src, src + (x1 - x0) * 4);
  }
}

function blit(
  canvas: Buffer,
  cw: number,
  ch: number,
  layer: Layer,
  left: number,
  top: number,
): void {
  const src = layer.data;
  for (let y = 0; y < layer.height; y++) {
    const cy = top + y;
    if (cy < 0 || cy >= ch) continue;
    for (let x = 0; x < layer.width; x++) {
      const cx = left + x;
      if (cx < 0 || cx >= cw) continue;
      const s = (y * layer.width + x) * 4;
      const sa8 = src[s + 3] ?? 0;
      if (sa8 === 0) continue;
      const d = (cy * cw + cx) * 4;
      const da8 = canvas[d + 3] ?? 0;
      if (sa8 === 255 || da8 === 0) {
        canvas[d] = src[s] ?? 0;
        canvas[d + 1] = src[s + 1] ?? 0;
        canvas[d + 2] = src[s + 2] ?? 0;
        canvas[d + 3] = sa8;
        continue;
      }
      const sa = sa8 / 255;
      const da = (da8 / 255) * (1 - sa);
      const na = sa + da;
      canvas[d] = round(((src[s] ?? 0) * sa + (canvas[d] ?? 0) * da) / na);
      canvas[d + 1] = round(((src[s + 1] ?? 0) * sa + (canvas[d + 1] ?? 0) * da) / na);
      canvas[d + 2] = round(((src[s + 2] ?? 0) * sa + (canvas[d + 2] ?? 0) * da) / na);
      canvas[d + 3] = round(na * 255);
    }
  }
}

/** Inserts a pHYs chunk (density in dpi) right after IHDR. */
export function withPngDensity(png: Buffer, dpi: number): Buffer {
  const ihdrEnd = 8 + 8 + 13 + 4;
  if (png.toString('latin1', 12, 16) !== 'IHDR') throw new Error('not a PNG');
  const ppm = Math.round(dpi / 0.0254);
  const chunk = Buffer.alloc(4 + 4 + 9 + 4);
  chunk.writeUInt32BE(9, 0);
  chunk.write('pHYs', 4, 'latin1');
  chunk.writeUInt32BE(ppm, 8);
  chunk.writeUInt32BE(ppm, 12);
  chunk.writeUInt8(1, 16); // unit: metre
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 17)), 17);
  return Buffer.concat([png.subarray(0, ihdrEnd), chunk, png.subarray(ihdrEnd)]);
}

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
  const opts = { ...DEFAULTS, ...options };
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
  const plan = text === undefined ? null : planStickerText(text, canvas);
  const layout = layoutSticker(canvas, plan);
  const [photo, textLayer] = await Promise.all([
    photoLayer(prepared, layout.photo),
    plan === null ? Promise.resolve(null) : renderTextLayer(plan, opts),
  ]);
  const pixels = Buffer.alloc(canvas.width * canvas.height * 4);
  copyInto(pixels, canvas.width, canvas.height, photo, layout.photo.left, layout.photo.top);
  if (textLayer !== null && layout.text !== null) {
    const at = placeTextBlock(layout.text, textLayer);
    blit(pixels, canvas.width, canvas.height, textLayer, at.left, at.top);
  }
  return encodePng(pixels, canvas.width, canvas.height, opts.compressionLevel);
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

/** Main image (240×240): the photo, with the text when given. */
export async function renderMainImage(
  base: Buffer | PreparedBase,
  text?: string,
  options: RenderOptions = {},
): Promise<Buffer> {
  const prepared = Buffer.isBuffer(base) ? await prepareBase(base) : base;
  const t = text === undefined || text.trim() === '' ? undefined : text;
  return renderOnCanvas(prepared, CANVASES.main, t, options);
}

/** Tab image (96×74): the photo only. */
export async function renderTabImage(base: Buffer | PreparedBase): Promise<Buffer> {
  const prepared = Buffer.isBuffer(base) ? await prepareBase(base) : base;
  return renderOnCanvas(prepared, CANVASES.tab, undefined, {});
}

/** The photo box used for a kind and line count (exposed for tests and previews). */
export function photoBox(kind: StickerImageKind, lineCount: number): PhotoBox {
  return photoBoxFor(CANVASES[kind], lineCount);
}
