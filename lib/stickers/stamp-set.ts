import sharp from 'sharp';
import { MAIN_FILE, TAB_FILE, stickerFileName } from '../../domain/stamp-keys';
import { MAX_ZIP_BYTES } from '../../domain/sticker-spec';
import { checkStickerImage } from '../../lib/stickers/check';
import { storedZip } from './zip-store';

export { checkStickerImage };

/**
 * Set-level outputs of a stamp job: the LINE rule check of each image, the ZIP of the set and
 * the preview sheet sent to LINE. Pure functions of bytes (no S3, no database), so the
 * benchmark and the tests use them directly.
 */

export interface SetImages {
  /** Sticker PNGs by order (1-based, as order_priority). */
  stickers: ReadonlyArray<{ order: number; png: Buffer }>;
  main: Buffer;
  tab: Buffer;
}

/**
 * The set as LINE Creators Market expects it in a ZIP: `01.png`…, `main.png`, `tab.png` at the
 * top level. PNGs are already compressed, so entries are stored, not deflated (zip-store.ts).
 * A fixed date keeps the ZIP byte-identical when a retry rebuilds it.
 */
export async function buildStampZip(set: SetImages): Promise<Buffer> {
  const out = storedZip([
    ...[...set.stickers]
      .sort((a, b) => a.order - b.order)
      .map((s) => ({ name: stickerFileName(s.order), data: s.png })),
    { name: MAIN_FILE, data: set.main },
    { name: TAB_FILE, data: set.tab },
  ]);
  if (out.length > MAX_ZIP_BYTES) {
    throw new Error(`the ZIP is ${out.length} bytes, over LINE's ${MAX_ZIP_BYTES}`);
  }
  return out;
}

/** Cell of the preview sheet: half a sticker (370×320 → 184×160), plus a gap. */
const CELL_W = 184;
const CELL_H = 160;
const GAP = 8;
/** LINE's preview image limit is 1 MB; the sheet stays far below it. */
const PREVIEW_QUALITY = 80;

/**
 * A contact sheet of the whole set (stickers at half size on a light background) as one JPEG,
 * so the user sees every sticker in one LINE message instead of one message per sticker.
 */
export async function buildPreviewSheet(stickers: readonly Buffer[]): Promise<Buffer> {
  const count = Math.max(1, stickers.length);
  const columns = count <= 4 ? count : count <= 9 ? 3 : count <= 16 ? 4 : 5;
  const rows = Math.ceil(count / columns);
  const width = columns * CELL_W + (columns + 1) * GAP;
  const height = rows * CELL_H + (rows + 1) * GAP;
  // Cells stay raw RGBA between the resize and the composite: encoding each as a PNG only to
  // decode it again was most of the sheet's time (40 zlib encodes for one JPEG).
  const cells = await Promise.all(
    stickers.map(async (png, i) => {
      const { data, info } = await sharp(png)
        .resize(CELL_W, CELL_H, { fit: 'contain', background: { r: 0, g: 0, b: 0, alpha: 0 } })
        .ensureAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
      return {
        input: data,
        raw: { width: info.width, height: info.height, channels: 4 as const },
        left: GAP + (i % columns) * (CELL_W + GAP),
        top: GAP + Math.floor(i / columns) * (CELL_H + GAP),
      };
    }),
  );
  return sharp({
    create: { width, height, channels: 3, background: { r: 236, g: 239, b: 242 } },
  })
    .composite(cells)
    .jpeg({ quality: PREVIEW_QUALITY, mozjpeg: false })
    .toBuffer();
}
