/**
 * Validation of an uploaded base photo before anything is stored or a ticket is consumed.
 *
 * Order matters for safety: byte size first (cheap), then the header only (format and declared
 * pixel count, so a decompression bomb is refused before a single pixel is decoded), then one
 * full decode at reduced size (JPEG shrink-on-load keeps it cheap) with `failOn: 'truncated'`
 * so a truncated or corrupt file is refused here rather than in the middle of a stamp job.
 */

import sharp, { type Metadata } from 'sharp';
import { BusinessError } from '../../domain/errors';

export const SUPPORTED_INPUT_FORMATS = ['jpeg', 'png', 'webp'] as const;
export type BaseImageFormat = (typeof SUPPORTED_INPUT_FORMATS)[number];

export const MEDIA_TYPES: Readonly<Record<BaseImageFormat, string>> = Object.freeze({
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
});

export interface InputLimits {
  /** Largest accepted upload, in bytes (catalog `stamp.maxUploadBytes`). */
  maxUploadBytes: number;
  /** Largest accepted width × height (catalog `stamp.maxInputPixels`). */
  maxInputPixels: number;
}

/**
 * The decompression-bomb bound: 120 megapixels. Phone photos go up to 48 MP (8000×6000) and
 * 200 MP sensors save 50 MP by default, so every real photo passes and is scaled down while it
 * is decoded (`prepareBase`); a bomb declares hundreds of megapixels or more (a 50 KB PNG can
 * declare 400 MP) and is refused from its header, before a pixel is decoded.
 */
export const RENDER_MAX_INPUT_PIXELS = 120_000_000;

/** The catalog's defaults, for callers (and the renderer) that have no config at hand. */
export const DEFAULT_INPUT_LIMITS: Readonly<InputLimits> = Object.freeze({
  maxUploadBytes: 10 * 1024 * 1024,
  maxInputPixels: RENDER_MAX_INPUT_PIXELS,
});

export interface BaseImageInfo {
  format: BaseImageFormat;
  /** Size as displayed, i.e. after the EXIF orientation is applied. */
  width: number;
  height: number;
}

export type InputRejection =
  'EMPTY' | 'TOO_LARGE' | 'NOT_AN_IMAGE' | 'UNSUPPORTED_FORMAT' | 'TOO_MANY_PIXELS' | 'CORRUPT';

function reject(
  reason: InputRejection,
  message: string,
  extra: Record<string, number> = {},
): never {
  throw new BusinessError('INVALID_INPUT', message, { field: 'image', reason, ...extra });
}

function isSupported(format: string | undefined): format is BaseImageFormat {
  return (SUPPORTED_INPUT_FORMATS as readonly string[]).includes(format ?? '');
}

/**
 * Checks an uploaded photo. Resolves with its format and displayed size; rejects with
 * `BusinessError('INVALID_INPUT')` whose `details.reason` is one of `InputRejection`.
 */
export async function validateBaseImage(
  buffer: Buffer,
  limits: InputLimits = DEFAULT_INPUT_LIMITS,
): Promise<BaseImageInfo> {
  if (!Buffer.isBuffer(buffer) || buffer.length === 0) {
    reject('EMPTY', '画像が空です。');
  }
  if (buffer.length > limits.maxUploadBytes) {
    reject(
      'TOO_LARGE',
      `画像が大きすぎます（上限 ${Math.floor(limits.maxUploadBytes / 1048576)}MB）。`,
      {
        bytes: buffer.length,
        maxBytes: limits.maxUploadBytes,
      },
    );
  }

  // Header only: no pixel is decoded here.
  let meta: Metadata;
  try {
    meta = await sharp(buffer, { limitInputPixels: false, failOn: 'error' }).metadata();
  } catch {
    reject(
      'NOT_AN_IMAGE',
      '画像として読み込めませんでした。JPEG・PNG・WebP の写真を送ってください。',
    );
  }
  if (!isSupported(meta.format)) {
    reject(
      'UNSUPPORTED_FORMAT',
      'この画像形式には対応していません。JPEG・PNG・WebP の写真を送ってください。',
    );
  }
  const width = meta.width;
  const height = meta.height;
  if (!width || !height) {
    reject('NOT_AN_IMAGE', '画像の大きさを読み取れませんでした。');
  }
  if (width * height > limits.maxInputPixels) {
    reject('TOO_MANY_PIXELS', '画像の画素数が多すぎます。小さくしてから送ってください。', {
      width,
      height,
      maxPixels: limits.maxInputPixels,
    });
  }

  // One full decode, shrunk on load, failing on truncated or corrupt data. limitInputPixels
  // guards again in case the header lied about the size.
  try {
    await sharp(buffer, { limitInputPixels: limits.maxInputPixels, failOn: 'truncated' })
      .resize(64, 64, { fit: 'inside', fastShrinkOnLoad: true })
      .raw()
      .toBuffer();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/pixel limit/i.test(message)) {
      reject('TOO_MANY_PIXELS', '画像の画素数が多すぎます。小さくしてから送ってください。', {
        maxPixels: limits.maxInputPixels,
      });
    }
    reject('CORRUPT', '画像が壊れているか、途中で切れています。もう一度送ってください。');
  }

  const oriented = meta.autoOrient;
  return {
    format: meta.format,
    width: oriented?.width ?? width,
    height: oriented?.height ?? height,
  };
}
