import sharp from 'sharp';
import { subjectCrop } from '../../lib/stickers/crop';
import { photoBox, prepareBase, renderStickerFromPrepared } from '../../lib/stickers/render';
import { parseStickerStyle } from '../../domain/sticker-style';
import { pixel, rgba } from './sticker-fixtures';

const W = 1600;
const H = 600;
/** The subject: a red, high-contrast disc hard against the right edge of a wide grey photo. */
const BLOB = { cx: 1500, cy: 300, r: 90 };

async function offCentrePhoto(): Promise<Buffer> {
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">` +
    `<rect width="${W}" height="${H}" fill="#8a8a8a"/>` +
    `<circle cx="${BLOB.cx}" cy="${BLOB.cy}" r="${BLOB.r}" fill="#e01010"/>` +
    `<circle cx="${BLOB.cx}" cy="${BLOB.cy}" r="${BLOB.r / 3}" fill="#ffe000"/></svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 92 }).toBuffer();
}

function redPixels(px: { data: Buffer; width: number; height: number }): number {
  let n = 0;
  for (let y = 0; y < px.height; y++) {
    for (let x = 0; x < px.width; x++) {
      const [r, g, b, a] = pixel(px, x, y);
      if (a > 200 && r > 180 && g < 80 && b < 80) n++;
    }
  }
  return n;
}

describe('subject-aware crop', () => {
  it('moves a square crop of a wide photo onto an off-centre subject', async () => {
    const prepared = await prepareBase(await offCentrePhoto());
    const crop = await subjectCrop(prepared, 300, 300);
    expect(crop.width).toBe(prepared.height); // the largest square
    expect(crop.left + crop.width).toBeLessThanOrEqual(prepared.width);
    const scale = prepared.width / W;
    // The whole disc is inside the crop (a centre crop would cut it off entirely).
    expect(crop.left).toBeLessThanOrEqual((BLOB.cx - BLOB.r) * scale);
    expect(crop.left + crop.width).toBeGreaterThanOrEqual((BLOB.cx + BLOB.r) * scale - 1);
  });

  it('keeps the subject inside every sticker shape', async () => {
    const prepared = await prepareBase(await offCentrePhoto());
    for (const look of ['card', 'circle', 'bubble'] as const) {
      const style = parseStickerStyle({ look });
      const px = await rgba(await renderStickerFromPrepared(prepared, 'ねこ', { style }));
      const box = photoBox('sticker', 1, style);
      // Most of the disc's area shows (area of the disc scaled into the photo box).
      const scale = Math.max(box.width / (H * (W / H)), box.height / H);
      const discArea = Math.PI * (BLOB.r * scale) ** 2;
      expect(redPixels(px)).toBeGreaterThan(discArea * 0.3);
    }
  });
});
