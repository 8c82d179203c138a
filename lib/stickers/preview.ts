/**
 * The style preview: a contact sheet of a few stickers in the chosen style, made from the
 * user's photo before a ticket is spent (shown in LINE and by the HTTP API).
 */

import type { StickerStyle } from '../../domain/sticker-style';
import { prepareBase, renderStickerFromPrepared, type PreparedBase } from './render';
import { buildPreviewSheet } from './stamp-set';

/** Captions of a preview when the user has not typed any yet. */
export const PREVIEW_TEXTS: readonly string[] = [
  'おつかれさま！',
  'ありがとう',
  'おやすみなさい',
  'やったね🎉',
];

/** At most this many stickers on a preview (one row: quick to make, easy to read on a phone). */
export const PREVIEW_MAX_STICKERS = 4;

/**
 * A JPEG sheet of up to four stickers of `texts` (default `PREVIEW_TEXTS`) in `style`.
 * Throws `INVALID_INPUT` like the renderer (unreadable photo, unsupported characters).
 */
export async function renderPreviewSheet(
  style: StickerStyle,
  photo: Buffer | PreparedBase,
  texts: readonly string[] = PREVIEW_TEXTS,
): Promise<Buffer> {
  const prepared = Buffer.isBuffer(photo) ? await prepareBase(photo) : photo;
  const chosen = (texts.length > 0 ? texts : PREVIEW_TEXTS).slice(0, PREVIEW_MAX_STICKERS);
  const stickers: Buffer[] = [];
  // One at a time: the first render cuts the photo layer the others reuse.
  for (const text of chosen)
    stickers.push(await renderStickerFromPrepared(prepared, text, { style }));
  return buildPreviewSheet(stickers);
}
