import sharp from 'sharp';
import {
  validateStickerPng,
  type StickerImageKind,
  type StickerViolation,
} from '../../domain/sticker-spec';

/** Every LINE Creators Market rule the encoded image breaks (empty = acceptable). */
export async function checkStickerImage(
  png: Buffer,
  kind: StickerImageKind,
): Promise<StickerViolation[]> {
  const meta = await sharp(png).metadata();
  return validateStickerPng(
    {
      width: meta.width ?? 0,
      height: meta.height ?? 0,
      format: meta.format ?? '',
      channels: meta.channels ?? 0,
      hasAlpha: meta.hasAlpha ?? false,
      bytes: png.length,
      density: meta.density,
      hasExif: meta.exif !== undefined,
    },
    kind,
  );
}
