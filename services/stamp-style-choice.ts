import type { messagingApi } from '@line/bot-sdk';
import { isBusinessError } from '../domain/errors';
import { stylePreviewKey } from '../domain/stamp-keys';
import { AWAITING_MESSAGES } from '../domain/stamp-queue';
import { styleChosenMessages, styleQuickReply } from '../domain/stamp-style-choice';
import { STYLE_PRESETS, type StickerLook } from '../domain/sticker-style';
import { renderPreviewSheet } from '../lib/stickers/preview';
import { prepareBase } from '../lib/stickers/render';
import { stampObjectsOf, type StampDeps } from './stamp-deps';
import { MAX_PRESIGN_SECONDS } from './stamp-objects';

/**
 * The preview of a look chosen in LINE, before the ticket is spent: a sheet of sample stickers
 * drawn from the waiting photo in that look, stored beside the photo (stamp-keys
 * stylePreviewKey, deleted with the job's other objects) and sent as an image message.
 */

/** How long the preview's link works: as long as the set's own links (LINE may fetch it late). */
const PREVIEW_LINK_SECONDS = MAX_PRESIGN_SECONDS;

const PHOTO_GONE_TEXT =
  'この写真の受付は終わっています。スタンプを作るときは、もう一度写真を送ってください。';
const PREVIEW_FAILED_TEXT =
  'この写真では見本を作れませんでした。このまま言葉を1行に1つずつ送れば、スタンプを作れます。';

export function createStampStyleChoice(deps: StampDeps) {
  const { db, config, logger } = deps;
  const limits = config.catalog.stamp;
  const objects = stampObjectsOf(deps);

  return {
    /**
     * The preview sheet of `look` for the waiting photo `queueId`, as LINE messages (the image,
     * then the request for texts with the looks as buttons). Idempotent: the sheet's key is
     * fixed per look, so a retry re-sends the stored sheet.
     */
    async previewStampStyle(input: {
      queueId: string;
      look: StickerLook;
    }): Promise<{ messages: messagingApi.Message[] }> {
      const queue = await db.lineStampGenerateQueue.findUnique({ where: { id: input.queueId } });
      if (!queue || queue.status !== AWAITING_MESSAGES || queue.deletedAt) {
        return { messages: [{ type: 'text', text: PHOTO_GONE_TEXT }] };
      }
      const key = stylePreviewKey(queue.userId, queue.id, input.look);
      if (!(await objects.exists(key))) {
        const photo = await objects.get(queue.imageUri);
        if (!photo) return { messages: [{ type: 'text', text: PHOTO_GONE_TEXT }] };
        let sheet: Buffer;
        try {
          const prepared = await prepareBase(photo, { maxInputPixels: limits.maxInputPixels });
          sheet = await renderPreviewSheet(STYLE_PRESETS[input.look], prepared);
        } catch (err) {
          // The photo passed the intake's checks, so this is the renderer refusing it: say so,
          // the set itself may still be made (it fails with a refund if not).
          if (!isBusinessError(err)) throw err;
          logger.warn({ queueId: queue.id, code: err.code }, 'style preview could not be drawn');
          return {
            messages: [{ type: 'text', text: PREVIEW_FAILED_TEXT, quickReply: styleQuickReply() }],
          };
        }
        await objects.put(key, sheet, 'image/jpeg');
      }
      const url = await objects.presign(key, PREVIEW_LINK_SECONDS);
      logger.info({ queueId: queue.id, look: input.look }, 'style preview sent');
      return { messages: styleChosenMessages(input.look, url, limits.maxMessages) };
    },
  };
}
