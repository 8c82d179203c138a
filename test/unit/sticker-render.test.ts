import * as exifr from 'exifr';
import sharp from 'sharp';
import { BusinessError } from '../../domain/errors';
import { STICKER_MARGIN, type StickerImageKind } from '../../domain/sticker-spec';
import { checkStickerImage } from '../../lib/stickers/check';
import {
  prepareBase,
  renderMainImage,
  renderSticker,
  renderStickerFromPrepared,
  renderTabImage,
  type PreparedBase,
} from '../../lib/stickers/render';
import { BLUE, RED, photoJpeg, pixel, pngChunkTypes, rgba } from './sticker-fixtures';

/** Checks LINE's rules and the absence of metadata on one output; returns its pixels. */
async function expectValidOutput(
  png: Buffer,
  kind: StickerImageKind,
): Promise<{ data: Buffer; width: number; height: number }> {
  expect(await checkStickerImage(png, kind)).toEqual([]);
  const meta = await sharp(png).metadata();
  expect(meta.density).toBe(72);
  // No EXIF, XMP, ICC or text chunks at all: only the image itself and its density.
  expect(meta.exif).toBeUndefined();
  expect(meta.xmp).toBeUndefined();
  expect(meta.icc).toBeUndefined();
  expect(new Set(pngChunkTypes(png))).toEqual(new Set(['IHDR', 'pHYs', 'IDAT', 'IEND']));
  // exifr finds no EXIF, GPS, XMP, IPTC or ICC block (only the PNG header, which we skip).
  const found: unknown = await exifr.parse(png, {
    ihdr: false,
    tiff: true,
    gps: true,
    xmp: true,
    iptc: true,
    icc: true,
  });
  expect(found).toBeUndefined();
  const px = await rgba(png);
  // Transparent background, and nothing (not even anti-aliasing) inside the margin.
  const margin = kind === 'tab' ? 2 : STICKER_MARGIN;
  for (let y = 0; y < px.height; y++) {
    for (let x = 0; x < px.width; x++) {
      const inside = x >= margin && x < px.width - margin && y >= margin && y < px.height - margin;
      if (!inside) {
        const alpha = pixel(px, x, y)[3];
        if (alpha !== 0) throw new Error(`opaque pixel in the margin at ${x},${y}`);
      }
    }
  }
  return px;
}

function isClose(actual: readonly number[], expected: readonly number[], tolerance = 40): boolean {
  return expected.every((v, i) => Math.abs((actual[i] ?? -999) - v) <= tolerance);
}

/** Number of pixels that differ between two same-sized RGBA images inside a rectangle. */
function diffCount(
  a: { data: Buffer; width: number },
  b: { data: Buffer; width: number },
  rect: { left: number; top: number; width: number; height: number },
): number {
  let n = 0;
  for (let y = rect.top; y < rect.top + rect.height; y++) {
    for (let x = rect.left; x < rect.left + rect.width; x++) {
      const p = pixel(a, x, y);
      const q = pixel(b, x, y);
      if (p.some((v, i) => Math.abs(v - (q[i] ?? 0)) > 8)) n++;
    }
  }
  return n;
}

const TEXT_AREA = { left: 10, top: 230, width: 350, height: 80 };
const PHOTO_TOP = { left: 20, top: 20, width: 330, height: 120 };

describe('sticker rendering', () => {
  let photo: Buffer;
  let prepared: PreparedBase;

  beforeAll(async () => {
    photo = await photoJpeg({ width: 640, height: 480, withCameraExif: true });
    prepared = await prepareBase(photo);
  });

  it('renders stickers that follow LINE rules for messages of every shape', async () => {
    const messages = [
      'OK',
      'ありがとう',
      'おつかれさまです',
      'あいうえおかきくけこさしすせそた',
      'Thank you very much!',
      'Supercalifragilistic',
      'すごい\nすごい\nすごい',
      '<span size="99999">&amp;</span>', // markup is text, not markup
    ];
    for (const text of messages) {
      const png = await renderStickerFromPrepared(prepared, text);
      const px = await expectValidOutput(png, 'sticker');
      expect([px.width, px.height]).toEqual([370, 320]);
      expect(pixel(px, 0, 0)[3]).toBe(0);
      expect(pixel(px, 369, 319)[3]).toBe(0);
    }
  });

  it('renders main and tab images', async () => {
    const main = await expectValidOutput(await renderMainImage(prepared, 'マイスタンプ'), 'main');
    expect([main.width, main.height]).toEqual([240, 240]);
    const plain = await expectValidOutput(await renderMainImage(prepared), 'main');
    expect(diffCount(main, plain, { left: 10, top: 150, width: 220, height: 80 })).toBeGreaterThan(
      500,
    );
    const tab = await expectValidOutput(await renderTabImage(prepared), 'tab');
    expect([tab.width, tab.height]).toEqual([96, 74]);
  });

  it('accepts the raw upload too, and strips its EXIF and GPS', async () => {
    expect((await exifr.gps(photo)).latitude).toBeCloseTo(35.69, 2);
    const png = await renderSticker(photo, 'こんにちは');
    await expectValidOutput(png, 'sticker');
    expect(await exifr.gps(png)).toBeUndefined();
  });

  it('draws the text: bold fill with an outline, and different text gives different ink', async () => {
    const a = await rgba(await renderStickerFromPrepared(prepared, 'ありがとう'));
    const b = await rgba(await renderStickerFromPrepared(prepared, 'またね'));
    let dark = 0;
    let white = 0;
    for (let y = TEXT_AREA.top; y < TEXT_AREA.top + TEXT_AREA.height; y++) {
      for (let x = TEXT_AREA.left; x < TEXT_AREA.left + TEXT_AREA.width; x++) {
        const [r, g, bl, al] = pixel(a, x, y);
        if (al === 255 && r < 60 && g < 60 && bl < 60) dark++;
        if (al === 255 && r > 245 && g > 245 && bl > 245) white++;
      }
    }
    expect(dark).toBeGreaterThan(2000); // the glyphs
    expect(white).toBeGreaterThan(2000); // their outline
    expect(diffCount(a, b, TEXT_AREA)).toBeGreaterThan(2000);
    // Both one-line stickers share the same cached photo layer: the top is identical.
    expect(diffCount(a, b, PHOTO_TOP)).toBe(0);
  });

  it('applies the EXIF orientation before cropping', async () => {
    // Stored 160×320 (left red, right blue); orientation 6 displays it 320×160, red on top.
    const rotated = await photoJpeg({ width: 160, height: 320, orientation: 6 });
    const plain = await photoJpeg({ width: 160, height: 320 });
    const preparedRotated = await prepareBase(rotated);
    expect([preparedRotated.width, preparedRotated.height]).toEqual([320, 160]);

    const r = await rgba(await renderTabImage(preparedRotated));
    expect(isClose(pixel(r, 48, 12), RED)).toBe(true);
    expect(isClose(pixel(r, 48, 62), BLUE)).toBe(true);

    // Without the tag the same pixels stay side by side.
    const p = await rgba(await renderTabImage(plain));
    expect(isClose(pixel(p, 12, 37), RED)).toBe(true);
    expect(isClose(pixel(p, 84, 37), BLUE)).toBe(true);

    // Same for a sticker: the top of the photo is red, its lower part blue.
    const s = await rgba(await renderStickerFromPrepared(preparedRotated, 'OK'));
    expect(isClose(pixel(s, 185, 30), RED)).toBe(true);
    expect(isClose(pixel(s, 30, 220), BLUE)).toBe(true);
  });

  it('cuts the photo into a rounded shape with a white outline', async () => {
    const tab = await rgba(await renderTabImage(prepared));
    expect(pixel(tab, 3, 3)[3]).toBe(0); // rounded corner: transparent
    const edge = pixel(tab, 48, 3); // top outline
    expect(isClose(edge, [255, 255, 255, 255], 12)).toBe(true);
    const s = await rgba(await renderStickerFromPrepared(prepared, 'OK'));
    expect(pixel(s, 12, 12)[3]).toBe(0);
    expect(isClose(pixel(s, 185, 13), [255, 255, 255, 255], 12)).toBe(true);
  });

  it('stays under 1 MB even for a photo of pure noise', async () => {
    const noise = await sharp({
      create: {
        width: 800,
        height: 600,
        channels: 3,
        background: '#808080',
        noise: { type: 'gaussian', mean: 128, sigma: 60 },
      },
    })
      .jpeg({ quality: 100 })
      .toBuffer();
    const png = await renderSticker(noise, 'ノイズ');
    await expectValidOutput(png, 'sticker');
    expect(png.length).toBeLessThan(1_000_000);
  });

  it('refuses characters the font cannot draw instead of drawing boxes', async () => {
    // Emoji are drawn from the emoji font (sticker-emoji.test.ts); private-use code points exist
    // in neither font.
    for (const text of ['ありがとう\u{F0000}', 'x\uE000']) {
      let err: unknown;
      try {
        await renderStickerFromPrepared(prepared, text);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(BusinessError);
      expect((err as BusinessError).code).toBe('INVALID_INPUT');
      expect((err as BusinessError).details.reason).toBe('UNSUPPORTED_CHARACTERS');
    }
  });

  it('refuses absurdly long text before laying it out', async () => {
    const started = Date.now();
    await expect(renderStickerFromPrepared(prepared, 'あ'.repeat(10_000))).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      details: { reason: 'TOO_LONG' },
    });
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('rejects a photo that cannot be decoded', async () => {
    await expect(prepareBase(Buffer.from('nope'))).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('is fast enough to render a 40-sticker set in well under a few seconds', async () => {
    const started = Date.now();
    for (let i = 0; i < 40; i++) {
      await renderStickerFromPrepared(prepared, `テスト${i}回目です`);
    }
    // Typically ~10 ms each on one core; the bound is loose to stay robust on slow CI.
    expect(Date.now() - started).toBeLessThan(4000);
  });
});
