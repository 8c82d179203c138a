import sharp from 'sharp';
import { BusinessError } from '../../domain/errors';
import { prepareBase } from '../../lib/stickers/render';
import { DEFAULT_INPUT_LIMITS, validateBaseImage } from '../../lib/stickers/input';
import { photoJpeg, pngBomb } from './sticker-fixtures';

async function rejection(p: Promise<unknown>): Promise<BusinessError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(BusinessError);
    return err as BusinessError;
  }
  throw new Error('expected a rejection');
}

describe('validateBaseImage', () => {
  let jpeg: Buffer;

  beforeAll(async () => {
    jpeg = await photoJpeg({ width: 256, height: 192 });
  });

  it('accepts JPEG, PNG and WebP and reports the displayed size', async () => {
    await expect(validateBaseImage(jpeg)).resolves.toEqual({
      format: 'jpeg',
      width: 256,
      height: 192,
    });
    const png = await sharp(jpeg).png().toBuffer();
    await expect(validateBaseImage(png)).resolves.toMatchObject({ format: 'png' });
    const webp = await sharp(jpeg).webp().toBuffer();
    await expect(validateBaseImage(webp)).resolves.toMatchObject({ format: 'webp' });
    // EXIF orientation 6 swaps the displayed width and height.
    const rotated = await photoJpeg({ width: 80, height: 40, orientation: 6 });
    await expect(validateBaseImage(rotated)).resolves.toEqual({
      format: 'jpeg',
      width: 40,
      height: 80,
    });
  });

  it('rejects an empty upload', async () => {
    const err = await rejection(validateBaseImage(Buffer.alloc(0)));
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.details.reason).toBe('EMPTY');
  });

  it('rejects an oversized upload before looking at it', async () => {
    const err = await rejection(
      validateBaseImage(jpeg, { maxUploadBytes: jpeg.length - 1, maxInputPixels: 1e9 }),
    );
    expect(err.details.reason).toBe('TOO_LARGE');
    // The catalog default (10 MB) too, with bytes that are not even an image.
    const huge = Buffer.alloc(DEFAULT_INPUT_LIMITS.maxUploadBytes + 1);
    expect((await rejection(validateBaseImage(huge))).details.reason).toBe('TOO_LARGE');
  });

  it('rejects bytes that are not an image', async () => {
    const err = await rejection(validateBaseImage(Buffer.from('GIF? no, just text')));
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.details.reason).toBe('NOT_AN_IMAGE');
  });

  it('rejects image formats it does not support (SVG, GIF, TIFF)', async () => {
    const svg = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>',
    );
    expect((await rejection(validateBaseImage(svg))).details.reason).toBe('UNSUPPORTED_FORMAT');
    const gif = await sharp(jpeg).gif().toBuffer();
    expect((await rejection(validateBaseImage(gif))).details.reason).toBe('UNSUPPORTED_FORMAT');
    const tiff = await sharp(jpeg).tiff().toBuffer();
    expect((await rejection(validateBaseImage(tiff))).details.reason).toBe('UNSUPPORTED_FORMAT');
  });

  it('rejects a truncated JPEG whose header still reads fine', async () => {
    const truncated = jpeg.subarray(0, Math.floor(jpeg.length * 0.6));
    // The header alone is fine: only a decode can notice.
    await expect(sharp(truncated).metadata()).resolves.toMatchObject({ width: 256 });
    const err = await rejection(validateBaseImage(truncated));
    expect(err.details.reason).toBe('CORRUPT');
  });

  it('rejects a JPEG whose compressed data is garbage', async () => {
    const sos = jpeg.indexOf(Buffer.from([0xff, 0xda]));
    expect(sos).toBeGreaterThan(0);
    const broken = Buffer.concat([jpeg.subarray(0, sos + 20), Buffer.alloc(200, 0xff)]);
    const err = await rejection(validateBaseImage(broken));
    expect(['CORRUPT', 'NOT_AN_IMAGE']).toContain(err.details.reason);
  });

  it('rejects a decompression bomb from its header, without decoding it', async () => {
    const bomb = pngBomb(20000); // ~50 KB, declares 400 megapixels
    expect(bomb.length).toBeLessThan(100_000);
    // (sharp's own default limit, 268 megapixels, would refuse even to read its header.)
    await expect(sharp(bomb, { limitInputPixels: false }).metadata()).resolves.toMatchObject({
      width: 20000,
      height: 20000,
    });
    const started = Date.now();
    const err = await rejection(validateBaseImage(bomb));
    expect(err.details.reason).toBe('TOO_MANY_PIXELS');
    expect(err.details.width).toBe(20000);
    // The renderer refuses it as well (sharp's limitInputPixels), also without decoding.
    const again = await rejection(prepareBase(bomb));
    expect(again.details.reason).toBe('TOO_MANY_PIXELS');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('applies the configured pixel limit', async () => {
    const err = await rejection(
      validateBaseImage(jpeg, { maxUploadBytes: 1e7, maxInputPixels: 256 * 192 - 1 }),
    );
    expect(err.details.reason).toBe('TOO_MANY_PIXELS');
    await expect(
      validateBaseImage(jpeg, { maxUploadBytes: 1e7, maxInputPixels: 256 * 192 }),
    ).resolves.toMatchObject({ width: 256 });
  });
});
