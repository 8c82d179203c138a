/**
 * Real image bytes for the sticker tests, made with sharp (and zlib for the PNG bomb).
 * Not a test file itself (jest runs `*.test.ts` only).
 */

import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';

export const RED: readonly [number, number, number] = [230, 30, 30];
export const BLUE: readonly [number, number, number] = [30, 30, 230];

/** Raw RGB image: left half red, right half blue, with a little noise so JPEG has real data. */
export function halvesRaw(width: number, height: number): Buffer {
  const raw = Buffer.alloc(width * height * 3);
  let seed = 12345;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = x < width / 2 ? RED : BLUE;
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const n = (seed % 9) - 4;
      const i = (y * width + x) * 3;
      raw[i] = r + n;
      raw[i + 1] = g + n;
      raw[i + 2] = b + n;
    }
  }
  return raw;
}

export interface PhotoOptions {
  width: number;
  height: number;
  orientation?: number;
  /** Camera tags and GPS in the EXIF block. */
  withCameraExif?: boolean;
}

/** A JPEG "photo" (stored pixels: left half red, right half blue). */
export async function photoJpeg(opts: PhotoOptions): Promise<Buffer> {
  let img = sharp(halvesRaw(opts.width, opts.height), {
    raw: { width: opts.width, height: opts.height, channels: 3 },
  }).jpeg({ quality: 90 });
  if (opts.orientation !== undefined) img = img.withMetadata({ orientation: opts.orientation });
  if (opts.withCameraExif) {
    img = img.withExifMerge({
      IFD0: { Make: 'Canon', Model: 'Canon EOS R5', Software: 'secret-editor 1.0' },
      IFD2: {
        DateTimeOriginal: '2024:05:01 12:34:56',
        OffsetTimeOriginal: '+09:00',
      },
      IFD3: {
        GPSLatitudeRef: 'N',
        GPSLatitude: '35/1 41/1 2244/100',
        GPSLongitudeRef: 'E',
        GPSLongitude: '139/1 41/1 3036/100',
      },
    });
  }
  return img.toBuffer();
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/**
 * A decompression bomb: a valid ~50 KB 1-bit greyscale PNG that declares `size`×`size` pixels
 * (400 megapixels for 20000) and really inflates to that many.
 */
export function pngBomb(size = 20000): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.writeUInt8(1, 8); // bit depth
  ihdr.writeUInt8(0, 9); // greyscale
  const rowBytes = 1 + Math.ceil(size / 8);
  const idat = deflateSync(Buffer.alloc(rowBytes * size), { level: 9 });
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', idat),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Chunk types of a PNG, in order. */
export function pngChunkTypes(png: Buffer): string[] {
  const types: string[] = [];
  let at = 8;
  while (at + 8 <= png.length) {
    const len = png.readUInt32BE(at);
    types.push(png.toString('latin1', at + 4, at + 8));
    at += 12 + len;
  }
  return types;
}

/** RGBA pixels of an encoded image. */
export async function rgba(
  image: Buffer,
): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(image)
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

export function pixel(
  img: { data: Buffer; width: number },
  x: number,
  y: number,
): [number, number, number, number] {
  const i = (y * img.width + x) * 4;
  return [img.data[i] ?? 0, img.data[i + 1] ?? 0, img.data[i + 2] ?? 0, img.data[i + 3] ?? 0];
}
