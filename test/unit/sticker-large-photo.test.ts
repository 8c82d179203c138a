import sharp from 'sharp';
import { checkStickerImage } from '../../lib/stickers/check';
import { DEFAULT_INPUT_LIMITS, validateBaseImage } from '../../lib/stickers/input';
import {
  prepareBase,
  renderMainImage,
  renderStickerFromPrepared,
  renderTabImage,
} from '../../lib/stickers/render';
import { pngBomb } from './sticker-fixtures';

describe('large photos', () => {
  it('scales a 48-megapixel photo down and makes a set of it', async () => {
    // 8000×6000, as a 48 MP phone camera saves it (smooth content keeps the JPEG small).
    const photo = await sharp({
      create: { width: 8000, height: 6000, channels: 3, background: { r: 200, g: 120, b: 60 } },
    })
      .jpeg({ quality: 80 })
      .toBuffer();
    await expect(validateBaseImage(photo)).resolves.toMatchObject({ width: 8000, height: 6000 });
    const prepared = await prepareBase(photo);
    expect(Math.max(prepared.width, prepared.height)).toBe(1024);
    for (const text of ['おはよう', 'ありがとう']) {
      expect(
        await checkStickerImage(await renderStickerFromPrepared(prepared, text), 'sticker'),
      ).toEqual([]);
    }
    expect(await checkStickerImage(await renderMainImage(prepared), 'main')).toEqual([]);
    expect(await checkStickerImage(await renderTabImage(prepared), 'tab')).toEqual([]);
  }, 60_000);

  it('still refuses a decompression bomb before decoding it', async () => {
    expect(DEFAULT_INPUT_LIMITS.maxInputPixels).toBeLessThan(20000 * 20000);
    await expect(validateBaseImage(pngBomb())).rejects.toMatchObject({
      details: expect.objectContaining({ reason: 'TOO_MANY_PIXELS' }),
    });
    await expect(prepareBase(pngBomb())).rejects.toMatchObject({
      details: expect.objectContaining({ reason: 'TOO_MANY_PIXELS' }),
    });
  });
});
