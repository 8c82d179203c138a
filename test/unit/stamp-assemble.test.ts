import * as exifr from 'exifr';
import JSZip from 'jszip';
import sharp from 'sharp';
import { buildPreviewSheet, buildStampZip, checkStickerImage } from '../../lib/stickers/stamp-set';
import {
  prepareBase,
  renderMainImage,
  renderStickerFromPrepared,
  renderTabImage,
} from '../../lib/stickers/render';
import { photoJpeg } from './sticker-fixtures';

describe('stamp set assembly', () => {
  let stickers: Array<{ order: number; png: Buffer }>;
  let main: Buffer;
  let tab: Buffer;

  beforeAll(async () => {
    const photo = await photoJpeg({
      width: 640,
      height: 480,
      orientation: 6,
      withCameraExif: true,
    });
    const prepared = await prepareBase(photo);
    stickers = await Promise.all(
      ['ありがとう', 'OK!', 'おつかれさま'].map(async (t, i) => ({
        order: i + 1,
        png: await renderStickerFromPrepared(prepared, t),
      })),
    );
    main = await renderMainImage(prepared, 'ありがとう');
    tab = await renderTabImage(prepared);
  });

  it('checks each image against the LINE rules', async () => {
    for (const s of stickers) expect(await checkStickerImage(s.png, 'sticker')).toEqual([]);
    expect(await checkStickerImage(main, 'main')).toEqual([]);
    expect(await checkStickerImage(tab, 'tab')).toEqual([]);
    // A main image is not a valid tab image, and a JPEG is no sticker at all.
    expect((await checkStickerImage(main, 'tab')).map((v) => v.code)).toContain('SIZE');
    const jpeg = await sharp(stickers[0]!.png).flatten().jpeg().toBuffer();
    expect((await checkStickerImage(jpeg, 'sticker')).map((v) => v.code)).toEqual(
      expect.arrayContaining(['FORMAT', 'NO_ALPHA']),
    );
  });

  it('zips the set with Creators Market names, byte-identical when rebuilt', async () => {
    const zip = await buildStampZip({ stickers: [...stickers].reverse(), main, tab });
    const again = await buildStampZip({ stickers, main, tab });
    expect(again.equals(zip)).toBe(true);
    const entries = await JSZip.loadAsync(zip);
    expect(Object.keys(entries.files)).toEqual([
      '01.png',
      '02.png',
      '03.png',
      'main.png',
      'tab.png',
    ]);
    const first = await entries.file('01.png')!.async('nodebuffer');
    expect(first.equals(stickers[0]!.png)).toBe(true);
  });

  it('makes one preview sheet without any metadata', async () => {
    const sheet = await buildPreviewSheet(stickers.map((s) => s.png));
    const meta = await sharp(sheet).metadata();
    expect(meta.format).toBe('jpeg');
    expect(meta.width).toBe(3 * 184 + 4 * 8);
    expect(meta.height).toBe(160 + 2 * 8);
    expect(meta.exif).toBeUndefined();
    expect(
      await exifr.parse(sheet, { gps: true, xmp: true, iptc: true, icc: true }),
    ).toBeUndefined();
    expect(sheet.length).toBeLessThan(1_000_000);
  });
});
