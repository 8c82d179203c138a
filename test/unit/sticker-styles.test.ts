import sharp from 'sharp';
import { STICKER_MARGIN } from '../../domain/sticker-spec';
import {
  CAPTION_POSITIONS,
  STICKER_LOOKS,
  parseStickerStyle,
  safeParseStickerStyle,
} from '../../domain/sticker-style';
import { checkStickerImage } from '../../lib/stickers/check';
import { PREVIEW_TEXTS, renderPreviewSheet } from '../../lib/stickers/preview';
import {
  prepareBase,
  renderMainImage,
  renderStickerFromPrepared,
  renderTabImage,
  type PreparedBase,
} from '../../lib/stickers/render';
import { photoJpeg, pixel, rgba } from './sticker-fixtures';

/** Share of the pixels that differ clearly between two same-sized images. */
async function difference(a: Buffer, b: Buffer): Promise<number> {
  const pa = await rgba(a);
  const pb = await rgba(b);
  let n = 0;
  for (let i = 0; i < pa.data.length; i += 4) {
    if ([0, 1, 2, 3].some((k) => Math.abs((pa.data[i + k] ?? 0) - (pb.data[i + k] ?? 0)) > 40)) n++;
  }
  return n / (pa.width * pa.height);
}

describe('sticker styles', () => {
  let prepared: PreparedBase;
  beforeAll(async () => {
    prepared = await prepareBase(await photoJpeg({ width: 1200, height: 900 }));
  });

  it('validates a style with zod and fills in the look’s colours', () => {
    expect(parseStickerStyle({})).toEqual({
      look: 'card',
      caption: 'bottom',
      textColor: '#222222',
      strokeColor: '#ffffff',
      accentColor: '#ffffff',
    });
    expect(parseStickerStyle({ look: 'bold', textColor: '#FFCC00' })).toMatchObject({
      look: 'bold',
      textColor: '#ffcc00',
      strokeColor: '#111111',
    });
    expect(safeParseStickerStyle({ look: 'sparkle' }).ok).toBe(false);
    expect(safeParseStickerStyle({ textColor: 'red' }).ok).toBe(false);
    expect(safeParseStickerStyle({ look: 'card', extra: 1 }).ok).toBe(false);
  });

  const cases = STICKER_LOOKS.flatMap((look) =>
    CAPTION_POSITIONS.map((caption) => [look, caption] as const),
  );

  it.each(cases)(
    '%s with the caption at the %s passes the LINE validator',
    async (look, caption) => {
      const style = parseStickerStyle({ look, caption });
      for (const text of ['おつかれさま！', 'よろしくお願いします', 'やったね🎉']) {
        const png = await renderStickerFromPrepared(prepared, text, { style });
        expect(await checkStickerImage(png, 'sticker')).toEqual([]);
        const px = await rgba(png);
        for (let y = 0; y < px.height; y++) {
          for (let x = 0; x < px.width; x++) {
            const inMargin =
              x < STICKER_MARGIN ||
              y < STICKER_MARGIN ||
              x >= px.width - STICKER_MARGIN ||
              y >= px.height - STICKER_MARGIN;
            if (inMargin && pixel(px, x, y)[3] !== 0)
              throw new Error(`ink in the margin at ${x},${y}`);
          }
        }
      }
      expect(
        await checkStickerImage(await renderMainImage(prepared, 'ありがとう', { style }), 'main'),
      ).toEqual([]);
      expect(await checkStickerImage(await renderTabImage(prepared, { style }), 'tab')).toEqual([]);
    },
  );

  it('gives four clearly different looks', async () => {
    const renders = await Promise.all(
      STICKER_LOOKS.map((look) =>
        renderStickerFromPrepared(prepared, 'ありがとう', { style: parseStickerStyle({ look }) }),
      ),
    );
    for (let i = 0; i < renders.length; i++) {
      for (let j = i + 1; j < renders.length; j++) {
        expect(await difference(renders[i] as Buffer, renders[j] as Buffer)).toBeGreaterThan(0.05);
      }
    }
  });

  it('moves the caption to the top when asked', async () => {
    const style = parseStickerStyle({ look: 'card', caption: 'top', textColor: '#00c000' });
    const px = await rgba(await renderStickerFromPrepared(prepared, 'ありがとう', { style }));
    const greenRows = (from: number, to: number): number => {
      let n = 0;
      for (let y = from; y < to; y++) {
        for (let x = 0; x < px.width; x++) {
          const [r, g, b, a] = pixel(px, x, y);
          if (a > 200 && g > 150 && r < 80 && b < 80) n++;
        }
      }
      return n;
    };
    expect(greenRows(0, 100)).toBeGreaterThan(200);
    expect(greenRows(220, 320)).toBe(0);
  });

  it('renders a preview sheet of the style before a ticket is spent', async () => {
    const sheet = await renderPreviewSheet(
      parseStickerStyle({ look: 'circle' }),
      prepared,
      PREVIEW_TEXTS,
    );
    const meta = await sharp(sheet).metadata();
    expect(meta.format).toBe('jpeg');
    expect(meta.width).toBeGreaterThan(600);
    expect(sheet.length).toBeLessThan(1_000_000);
  });
});
