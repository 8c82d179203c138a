import type { RequestHandler } from 'express';
import { validateStampMessages } from '../../domain/stamp-messages';
import { findUnsupportedCharacters } from '../../lib/stickers/font';
import { PREVIEW_MAX_STICKERS, renderPreviewSheet } from '../../lib/stickers/preview';
import type { ApiDeps } from '../deps';
import { HttpError } from '../errors';
import { readMessages, readPhoto, readStyle, requireImage } from './stamp-multipart';

/**
 * `POST /api/stamps/preview` (after LINE Login and the multipart parser): the chosen style
 * drawn on the user's own photo, up to four stickers on one JPEG sheet, so a style is seen
 * before a ticket is spent. Nothing is read from or written to the ledger, the database or the
 * bucket: the photo lives only in this request.
 */
export function stampPreviewRoute(deps: ApiDeps): RequestHandler {
  const limits = deps.config.catalog.stamp;
  return async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const image = requireImage(req.file);
    const style = readStyle(body.style);
    const raw = readMessages(body);
    let texts: string[] = [];
    if (raw.length > 0) {
      const checked = validateStampMessages(
        raw,
        { maxMessages: PREVIEW_MAX_STICKERS, maxMessageLength: limits.maxMessageLength },
        (t) => findUnsupportedCharacters(t),
      );
      if (!checked.ok) {
        const first = checked.problems[0]!;
        throw new HttpError(400, 'INVALID_INPUT', first.message, {
          field: 'messages',
          reason: first.code,
          problems: checked.problems,
        });
      }
      texts = checked.messages;
    }
    await readPhoto(image, limits);
    const sheet = await renderPreviewSheet(style, image, texts);
    res.set('Cache-Control', 'no-store').type('image/jpeg').send(sheet);
  };
}
