import sharp from 'sharp';
import {
  RICH_MENU_SIZE,
  RICH_MENU_TILES,
  tileBounds,
  type RichMenuTile,
} from '../domain/line-ui/rich-menu';
import { stickerFont } from './stickers/font';
import { textMarkup } from './stickers/render';

/**
 * The rich menu's image, drawn here rather than shipped as a file: the tiles' labels come from
 * the same data as the tap areas (domain/line-ui/rich-menu.ts), so the picture cannot drift
 * from what a tap sends. Japanese text is set with the sticker renderer's font (Noto Sans JP,
 * lib/stickers/font.ts) through libvips/Pango. PNG, flat colours: far under LINE's 1 MB.
 */

const LABEL_PX = 150;
const CAPTION_PX = 80;
/** White gutter between tiles. */
const GAP = 12;

async function textImage(text: string, px: number): Promise<Buffer> {
  return sharp({
    text: {
      text: textMarkup([text], px, 1, '#FFFFFF'),
      fontfile: stickerFont().file,
      align: 'centre',
      dpi: 72,
      rgba: true,
    },
  })
    .png()
    .toBuffer();
}

async function tileImage(tile: RichMenuTile, width: number, height: number): Promise<Buffer> {
  const [label, caption] = await Promise.all([
    textImage(tile.label, LABEL_PX),
    textImage(tile.caption, CAPTION_PX),
  ]);
  const [lm, cm] = await Promise.all([sharp(label).metadata(), sharp(caption).metadata()]);
  const inner = { width: width - 2 * GAP, height: height - 2 * GAP };
  const labelW = Math.min(lm.width ?? 0, inner.width);
  const captionW = Math.min(cm.width ?? 0, inner.width);
  const labelH = lm.height ?? 0;
  const captionH = cm.height ?? 0;
  const spacing = 40;
  const top = Math.max(0, Math.round((inner.height - labelH - spacing - captionH) / 2));
  const fit = (img: Buffer, w: number, natural: number) =>
    w < natural ? sharp(img).resize({ width: w }).toBuffer() : Promise.resolve(img);
  return sharp({
    create: { ...inner, channels: 4, background: tile.color },
  })
    .composite([
      {
        input: await fit(label, labelW, lm.width ?? 0),
        left: Math.round((inner.width - labelW) / 2),
        top,
      },
      {
        input: await fit(caption, captionW, cm.width ?? 0),
        left: Math.round((inner.width - captionW) / 2),
        top: Math.min(inner.height - captionH, top + labelH + spacing),
      },
    ])
    .png()
    .toBuffer();
}

/** The menu's PNG at LINE's large size, one coloured tile per area. */
export async function renderRichMenuImage(
  tiles: readonly RichMenuTile[] = RICH_MENU_TILES,
): Promise<Buffer> {
  const bounds = tileBounds(RICH_MENU_SIZE, tiles.length);
  const images = await Promise.all(
    tiles.map((tile, i) => tileImage(tile, bounds[i]!.width, bounds[i]!.height)),
  );
  return sharp({
    create: { ...RICH_MENU_SIZE, channels: 3, background: '#FFFFFF' },
  })
    .composite(
      images.map((input, i) => ({ input, left: bounds[i]!.x + GAP, top: bounds[i]!.y + GAP })),
    )
    .png({ compressionLevel: 9 })
    .toBuffer();
}
