/**
 * Pixel work of the sticker renderer, in plain JS over raw RGBA buffers (no sharp pipeline per
 * step, which would cost more than the arithmetic): the text outline from an exact Euclidean
 * distance transform, copying and blending layers, and the PNG density chunk.
 */

import { crc32 } from 'node:zlib';

/** A straight-alpha RGBA image. */
export interface Layer {
  data: Buffer;
  width: number;
  height: number;
}

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
 * `mask` is the glyph coverage, one byte per pixel. With `glyphColours` (an RGBA render of
 * the same text, same size) each glyph pixel keeps its own colour: colour emoji.
 */
export function outlineText(
  mask: { data: Buffer; width: number; height: number },
  strokePx: number,
  fill: readonly [number, number, number],
  stroke: readonly [number, number, number],
  glyphColours?: Buffer,
): Layer {
  const rim = 1.5;
  const pad = Math.ceil(strokePx + rim + 0.5);
  const width = mask.width + 2 * pad;
  const height = mask.height + 2 * pad;
  const coverage = new Uint8Array(width * height);
  // Source pixel (in the mask) of each layer pixel, for glyph colours; -1 outside.
  const source = glyphColours ? new Int32Array(width * height).fill(-1) : null;
  const grid = new Float64Array(width * height).fill(1e12);
  for (let y = 0; y < mask.height; y++) {
    for (let x = 0; x < mask.width; x++) {
      const m = mask.data[y * mask.width + x] ?? 0;
      const at = (y + pad) * width + x + pad;
      coverage[at] = m;
      if (source !== null) source[at] = y * mask.width + x;
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
    let r = fr;
    let g = fg;
    let b = fb;
    const src = source === null ? -1 : (source[i] ?? -1);
    if (src >= 0 && glyphColours !== undefined) {
      r = glyphColours[src * 4] ?? fr;
      g = glyphColours[src * 4 + 1] ?? fg;
      b = glyphColours[src * 4 + 2] ?? fb;
    }
    out[o] = round(r * wf + sr * k1 * wb);
    out[o + 1] = round(g * wf + sg * k1 * wb);
    out[o + 2] = round(b * wf + sb * k1 * wb);
    out[o + 3] = round(a2 * 255);
  }
  return { data: out, width, height };
}

/** Copies a layer onto a transparent area of the canvas (no blending needed). */
export function copyInto(
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

export function blit(
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
