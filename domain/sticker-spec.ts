/**
 * LINE Creators Market image rules for stickers, as constants and a validator.
 *
 * Pure: no I/O, no Node imports. The renderer uses the constants; tests (and a paranoid
 * activity) run `validateStickerPng` on every image produced.
 *
 * Rules (LINE Creators Market guidelines): sticker images at most 370×320 px, main image
 * 240×240, tab image 96×74; PNG in RGB colour (with an alpha channel for the transparent
 * background); width and height even; at least 72 dpi; about 10 px margin around the
 * content; at most 1 MB per image; sets of 8, 16, 24, 32 or 40 stickers; ZIP at most 20 MB.
 */

export const STICKER_MAX_WIDTH = 370;
export const STICKER_MAX_HEIGHT = 320;
export const MAIN_IMAGE_WIDTH = 240;
export const MAIN_IMAGE_HEIGHT = 240;
export const TAB_IMAGE_WIDTH = 96;
export const TAB_IMAGE_HEIGHT = 74;
/** Margin between the content and the image edge ("about 10 px"). */
export const STICKER_MARGIN = 10;
/** 1 MB, read conservatively as 1,000,000 bytes. */
export const MAX_IMAGE_BYTES = 1_000_000;
/** 20 MB, read conservatively, for the ZIP of a whole set. */
export const MAX_ZIP_BYTES = 20_000_000;
export const MIN_DPI = 72;
export const ALLOWED_SET_SIZES = [8, 16, 24, 32, 40] as const;
export type AllowedSetSize = (typeof ALLOWED_SET_SIZES)[number];

export type StickerImageKind = 'sticker' | 'main' | 'tab';

interface SizeRule {
  readonly width: number;
  readonly height: number;
  /** true: exactly this size; false: at most this size. */
  readonly exact: boolean;
}

export const SIZE_RULES: Readonly<Record<StickerImageKind, SizeRule>> = Object.freeze({
  sticker: { width: STICKER_MAX_WIDTH, height: STICKER_MAX_HEIGHT, exact: false },
  main: { width: MAIN_IMAGE_WIDTH, height: MAIN_IMAGE_HEIGHT, exact: true },
  tab: { width: TAB_IMAGE_WIDTH, height: TAB_IMAGE_HEIGHT, exact: true },
});

/** What the validator needs to know about an encoded image (e.g. from `sharp().metadata()`). */
export interface StickerImageMeta {
  width: number;
  height: number;
  format: string;
  channels: number;
  hasAlpha: boolean;
  /** Encoded size in bytes. */
  bytes: number;
  /** Dots per inch if the file declares it; checked only when given. */
  density?: number;
  /** true when the file carries EXIF (or any GPS) metadata; checked only when given. */
  hasExif?: boolean;
}

export type StickerViolationCode =
  | 'FORMAT'
  | 'CHANNELS'
  | 'NO_ALPHA'
  | 'SIZE'
  | 'ODD_WIDTH'
  | 'ODD_HEIGHT'
  | 'TOO_LARGE'
  | 'EMPTY'
  | 'LOW_DPI'
  | 'METADATA';

export interface StickerViolation {
  code: StickerViolationCode;
  message: string;
}

/** Every rule the image breaks; an empty list means it is acceptable. */
export function validateStickerPng(
  meta: StickerImageMeta,
  kind: StickerImageKind,
): StickerViolation[] {
  const out: StickerViolation[] = [];
  const rule = SIZE_RULES[kind];
  if (meta.format !== 'png') {
    out.push({ code: 'FORMAT', message: `format is ${meta.format}, must be png` });
  }
  // RGB colour plus alpha: 4 channels. Grey (1/2) or CMYK are not accepted.
  if (meta.channels !== 4) {
    out.push({ code: 'CHANNELS', message: `${meta.channels} channels, must be 4 (RGBA)` });
  }
  if (!meta.hasAlpha) {
    out.push({ code: 'NO_ALPHA', message: 'no alpha channel: background cannot be transparent' });
  }
  const sizeOk = rule.exact
    ? meta.width === rule.width && meta.height === rule.height
    : meta.width >= 2 && meta.height >= 2 && meta.width <= rule.width && meta.height <= rule.height;
  if (!sizeOk) {
    const want = rule.exact
      ? `exactly ${rule.width}×${rule.height}`
      : `at most ${rule.width}×${rule.height}`;
    out.push({ code: 'SIZE', message: `${meta.width}×${meta.height}, must be ${want}` });
  }
  if (meta.width % 2 !== 0) {
    out.push({ code: 'ODD_WIDTH', message: `width ${meta.width} is odd` });
  }
  if (meta.height % 2 !== 0) {
    out.push({ code: 'ODD_HEIGHT', message: `height ${meta.height} is odd` });
  }
  if (meta.bytes <= 0) {
    out.push({ code: 'EMPTY', message: 'empty file' });
  } else if (meta.bytes > MAX_IMAGE_BYTES) {
    out.push({ code: 'TOO_LARGE', message: `${meta.bytes} bytes, must be ≤ ${MAX_IMAGE_BYTES}` });
  }
  if (meta.density !== undefined && meta.density < MIN_DPI) {
    out.push({ code: 'LOW_DPI', message: `${meta.density} dpi, must be ≥ ${MIN_DPI}` });
  }
  if (meta.hasExif === true) {
    out.push({ code: 'METADATA', message: 'image carries EXIF metadata' });
  }
  return out;
}

export function isAllowedSetSize(n: number): n is AllowedSetSize {
  return (ALLOWED_SET_SIZES as readonly number[]).includes(n);
}

/** The smallest allowed set size that holds `count` stickers, or null when none does. */
export function smallestSetSizeFor(count: number): AllowedSetSize | null {
  for (const size of ALLOWED_SET_SIZES) {
    if (count <= size) return size;
  }
  return null;
}
