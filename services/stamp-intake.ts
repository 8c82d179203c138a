import { HTTPFetchError, type messagingApi } from '@line/bot-sdk';
import { isBusinessError } from '../domain/errors';
import { stampJobWorkflowId, uploadKey } from '../domain/stamp-keys';
import {
  describeProblems,
  splitStampLines,
  validateStampMessages,
  type StampMessageProblem,
} from '../domain/stamp-messages';
import {
  AWAITING_MESSAGES,
  cancelByUser,
  expire,
  isPastDeadline,
  photoDeadline,
  queue as queued,
  supersede,
} from '../domain/stamp-queue';
import { parseStyleChoice, photoAcceptedMessage } from '../domain/stamp-style-choice';
import { STYLE_PRESETS, type StickerLook } from '../domain/sticker-style';
import {
  CONTENT_GONE_TEXT,
  EXTERNAL_CONTENT_TEXT,
  NO_TICKET_PENDING_SUFFIX,
  photoAcceptedText,
  photoRejectedText,
  textsRejectedText,
} from '../domain/stamp-texts';
import { countUnusedTickets } from '../ledger/tickets';
import { findUnsupportedCharacters } from '../lib/stickers/font';
import { MEDIA_TYPES, validateBaseImage, type InputLimits } from '../lib/stickers/input';
import { stampObjectsOf, type StampDeps } from './stamp-deps';
import { noTicketReply } from './stamp-offers';
import {
  deleteJobObjects,
  lockQueue,
  recordStampJob,
  removeJobObjects,
  type NewStampJob,
} from './stamp-store';
import { findOrCreateUser } from './users';

/**
 * The LINE intake of a stamp job (photo, then texts; cancel; expiry) and the recording of an
 * HTTP upload. Expected outcomes (bad photo, bad texts, no ticket) are return values, never
 * exceptions. Every step is idempotent for its input (rows keyed by the queue ID, objects by
 * predictable keys, domain/stamp-keys.ts).
 */

export type AcceptPhotoResult =
  | {
      accepted: true;
      queueId: string;
      expiresAt: string;
      reply: string;
      /** With `styleChoice`: the reply as a message with the looks as quick-reply buttons. */
      replyMessages?: messagingApi.Message[];
    }
  | { accepted: false; reason: string; reply: string };

export type SubmitTextsResult =
  | { kind: 'no-pending' }
  | { kind: 'expired'; queueId: string }
  | { kind: 'rejected'; queueId: string; reply: string; problems: StampMessageProblem[] }
  | { kind: 'no-ticket'; queueId: string; reply: string }
  | { kind: 'queued'; queueId: string; count: number; jobWorkflowId: string }
  /** With `styleChoice`: the text chose a look, now stored on the waiting photo. */
  | { kind: 'style-chosen'; queueId: string; look: StickerLook };

class TooLarge extends Error {}

export function createStampIntake(deps: StampDeps) {
  const { config, db, clock, logger, metrics } = deps;
  const limits = config.catalog.stamp;
  const inputLimits: InputLimits = {
    maxUploadBytes: limits.maxUploadBytes,
    maxInputPixels: limits.maxInputPixels,
  };
  const objects = stampObjectsOf(deps);
  const dropObjects = (userId: string, queueId: string) =>
    deleteJobObjects(objects, logger, userId, queueId);

  /**
   * Ends a photo that still waits for its texts (cancel, expiry) and deletes its upload, GPS
   * and all: under the row's lock the objects go first and the status after, so an S3 failure
   * fails the step (to be retried) with the photo still waiting, and a photo is never marked
   * gone while its original stays in the bucket.
   */
  async function endWaitingPhoto(
    queueId: string,
    userId: string,
    end: 'cancel' | 'expire',
  ): Promise<boolean> {
    return db.$transaction(
      async (tx) => {
        await lockQueue(tx, queueId);
        const row = await tx.lineStampGenerateQueue.findUnique({
          where: { id: queueId },
          select: { status: true, expiresAt: true },
        });
        if (row?.status !== AWAITING_MESSAGES) return false;
        if (end === 'expire' && !isPastDeadline(row.expiresAt, clock.now())) return false;
        await removeJobObjects(objects, userId, queueId);
        await tx.lineStampGenerateQueue.update({
          where: { id: queueId },
          data: end === 'cancel' ? cancelByUser() : expire(),
        });
        return true;
      },
      { timeout: 60_000 },
    );
  }

  /** Reads a LINE message's content, refusing more than the upload limit without buffering it. */
  async function downloadContent(messageId: string): Promise<Buffer> {
    const stream = (await deps.blob.getMessageContent(messageId)) as AsyncIterable<Uint8Array> & {
      destroy?: () => void;
    };
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of stream) {
      size += chunk.length;
      if (size > limits.maxUploadBytes) {
        stream.destroy?.();
        throw new TooLarge();
      }
      chunks.push(Buffer.from(chunk));
    }
    return Buffer.concat(chunks);
  }

  return {
    /**
     * An image message: downloads it from LINE's data API, validates it (size, format, pixel
     * count, decodability), stores it and creates the queue row awaiting the user's messages.
     * A previous photo still waiting is superseded. Idempotent by `queueId`.
     */
    async acceptStampPhoto(input: {
      queueId: string;
      lineUserId: string;
      messageId: string;
      contentProvider: 'line' | 'external';
      /** Offer the looks as quick-reply buttons (workflows since STAMP_STYLE_CHOICE). */
      styleChoice?: boolean;
    }): Promise<AcceptPhotoResult> {
      const withChoice = (reply: string) =>
        input.styleChoice ? { reply, replyMessages: [photoAcceptedMessage(reply)] } : { reply };
      const done = await db.lineStampGenerateQueue.findUnique({ where: { id: input.queueId } });
      if (done?.expiresAt) {
        return {
          accepted: true,
          queueId: done.id,
          expiresAt: done.expiresAt.toISOString(),
          ...withChoice(photoAcceptedText(limits)),
        };
      }
      if (input.contentProvider !== 'line') {
        return { accepted: false, reason: 'EXTERNAL_CONTENT', reply: EXTERNAL_CONTENT_TEXT };
      }
      let bytes: Buffer;
      try {
        bytes = await downloadContent(input.messageId);
      } catch (err) {
        if (err instanceof TooLarge) {
          const mb = Math.floor(limits.maxUploadBytes / 1048576);
          return {
            accepted: false,
            reason: 'TOO_LARGE',
            reply: photoRejectedText(`画像が大きすぎます（上限 ${mb}MB）。`),
          };
        }
        if (err instanceof HTTPFetchError && (err.status === 404 || err.status === 410)) {
          return { accepted: false, reason: 'CONTENT_GONE', reply: CONTENT_GONE_TEXT };
        }
        throw err;
      }
      let format: 'jpeg' | 'png' | 'webp';
      try {
        format = (await validateBaseImage(bytes, inputLimits)).format;
      } catch (err) {
        if (!isBusinessError(err)) throw err;
        metrics.businessErrors.inc({ code: err.code });
        return {
          accepted: false,
          reason: String(err.details.reason ?? 'INVALID_IMAGE'),
          reply: photoRejectedText(err.message),
        };
      }
      const user = await findOrCreateUser(db, input.lineUserId);
      const key = uploadKey(user.id, input.queueId, format);
      await objects.put(key, bytes, MEDIA_TYPES[format]);
      const expiresAt = photoDeadline(clock.now(), limits.pendingPhotoTtlMinutes);
      const superseded = await db.$transaction(async (tx) => {
        const older = await tx.lineStampGenerateQueue.findMany({
          where: { userId: user.id, status: AWAITING_MESSAGES, id: { not: input.queueId } },
          select: { id: true },
        });
        if (older.length > 0) {
          await tx.lineStampGenerateQueue.updateMany({
            where: { id: { in: older.map((o) => o.id) }, status: AWAITING_MESSAGES },
            data: supersede(),
          });
        }
        await tx.lineStampGenerateQueue.upsert({
          where: { id: input.queueId },
          create: {
            id: input.queueId,
            userId: user.id,
            imageUri: key,
            imageType: MEDIA_TYPES[format],
            status: AWAITING_MESSAGES,
            source: 'line',
            expiresAt,
          },
          update: {},
        });
        return older.map((o) => o.id);
      });
      await Promise.all(superseded.map((id) => dropObjects(user.id, id)));
      logger.info({ queueId: input.queueId, format, bytes: bytes.length }, 'stamp photo accepted');
      return {
        accepted: true,
        queueId: input.queueId,
        expiresAt: expiresAt.toISOString(),
        ...withChoice(photoAcceptedText(limits, await countUnusedTickets(db, user.id))),
      };
    },

    /**
     * The user's messages for a pending photo (one per line): validates them, and if they are
     * good and a ticket is available, stores them (`order_priority` = line order, from 1) and
     * marks the queue `queued` for the stamp job. Bad input or no ticket keep the photo pending.
     * Without `queueId`, the user's newest pending photo is used.
     */
    async submitStampTexts(input: {
      lineUserId: string;
      text: string;
      queueId?: string;
      /** A one-line look choice (domain/stamp-style-choice) sets the style instead. */
      styleChoice?: boolean;
    }): Promise<SubmitTextsResult> {
      const user = await db.user.findUnique({ where: { lineUserId: input.lineUserId } });
      if (!user) return { kind: 'no-pending' };
      const queue = await db.lineStampGenerateQueue.findFirst({
        where: input.queueId
          ? { id: input.queueId, userId: user.id, deletedAt: null }
          : { userId: user.id, status: AWAITING_MESSAGES, deletedAt: null },
        orderBy: { createdAt: 'desc' },
        include: { _count: { select: { messages: true } } },
      });
      if (!queue) return { kind: 'no-pending' };
      const jobWorkflowId = stampJobWorkflowId(queue.id);
      if (queue.status === 'expired') return { kind: 'expired', queueId: queue.id };
      if (queue.status !== AWAITING_MESSAGES) {
        // Already submitted (this is a retry): report what was done.
        return queue.workflowId === jobWorkflowId
          ? { kind: 'queued', queueId: queue.id, count: queue._count.messages, jobWorkflowId }
          : { kind: 'no-pending' };
      }
      if (isPastDeadline(queue.expiresAt, clock.now())) {
        await endWaitingPhoto(queue.id, user.id, 'expire');
        return { kind: 'expired', queueId: queue.id };
      }
      const look = input.styleChoice ? parseStyleChoice(input.text) : undefined;
      if (look) {
        // Only a photo still waiting takes a new look: a submitted set keeps the one it has.
        await db.lineStampGenerateQueue.updateMany({
          where: { id: queue.id, status: AWAITING_MESSAGES },
          data: { style: { ...STYLE_PRESETS[look] } },
        });
        return { kind: 'style-chosen', queueId: queue.id, look };
      }

      const checked = validateStampMessages(splitStampLines(input.text), limits, (t) =>
        findUnsupportedCharacters(t),
      );
      if (!checked.ok) {
        return {
          kind: 'rejected',
          queueId: queue.id,
          reply: textsRejectedText(describeProblems(checked.problems)),
          problems: checked.problems,
        };
      }
      if ((await countUnusedTickets(db, user.id)) === 0) {
        return {
          kind: 'no-ticket',
          queueId: queue.id,
          reply: `${noTicketReply()}\n${NO_TICKET_PENDING_SUFFIX}`,
        };
      }

      const stored = await db.$transaction(async (tx) => {
        await lockQueue(tx, queue.id);
        const current = await tx.lineStampGenerateQueue.findUnique({ where: { id: queue.id } });
        if (current?.status !== AWAITING_MESSAGES) return current?.workflowId === jobWorkflowId;
        await tx.lineStampGenerateQueueMessage.createMany({
          data: checked.messages.map((message, i) => ({
            userId: user.id,
            lineStampGenerateQueueId: queue.id,
            message,
            orderPriority: i + 1,
          })),
        });
        await tx.lineStampGenerateQueue.update({
          where: { id: queue.id },
          data: { ...queued(), workflowId: jobWorkflowId },
        });
        return true;
      });
      if (!stored) return { kind: 'no-pending' };
      const count = await db.lineStampGenerateQueueMessage.count({
        where: { lineStampGenerateQueueId: queue.id, deletedAt: null },
      });
      return { kind: 'queued', queueId: queue.id, count, jobWorkflowId };
    },

    /** Cancels the user's pending photo (the given one, else the newest). */
    async cancelStampPhoto(input: {
      lineUserId: string;
      queueId?: string;
    }): Promise<{ cancelled: boolean; queueId?: string }> {
      const queue = await db.lineStampGenerateQueue.findFirst({
        where: {
          ...(input.queueId ? { id: input.queueId } : {}),
          user: { lineUserId: input.lineUserId },
          status: AWAITING_MESSAGES,
          deletedAt: null,
        },
        orderBy: { createdAt: 'desc' },
      });
      if (!queue) return { cancelled: false };
      if (!(await endWaitingPhoto(queue.id, queue.userId, 'cancel'))) return { cancelled: false };
      return { cancelled: true, queueId: queue.id };
    },

    /** Expires the photo if it is still waiting after its deadline. */
    async expireStampPhoto(input: {
      queueId: string;
    }): Promise<{ expired: boolean; lineUserId?: string }> {
      const queue = await db.lineStampGenerateQueue.findUnique({
        where: { id: input.queueId },
        include: { user: { select: { lineUserId: true } } },
      });
      if (!queue) return { expired: false };
      if (!(await endWaitingPhoto(queue.id, queue.userId, 'expire'))) return { expired: false };
      return { expired: true, lineUserId: queue.user.lineUserId };
    },

    /**
     * Records an HTTP upload whose photo the API parked at its upload key: the queue row
     * (`queued`) and the messages. Idempotent by queue ID.
     */
    async recordStampUpload(input: Omit<NewStampJob, 'source'>): Promise<void> {
      await recordStampJob(db, { ...input, source: 'http' });
    },

    /** Undoes a parked HTTP upload whose job could not start: its rows and objects go. */
    async discardStampUpload(input: { queueId: string; userId: string }): Promise<void> {
      await db.lineStampGenerateQueue.deleteMany({
        where: { id: input.queueId, userId: input.userId },
      });
      await dropObjects(input.userId, input.queueId);
    },
  };
}

export type StampIntake = ReturnType<typeof createStampIntake>;
