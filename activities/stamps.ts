import { setTimeout as sleep } from 'node:timers/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { HTTPFetchError, type messagingApi } from '@line/bot-sdk';
import sharp from 'sharp';
import type { AppConfig } from '../config';
import type { Clock } from '../domain/clock';
import { isBusinessError } from '../domain/errors';
import { NO_TICKET, type StampPermanentType } from '../domain/stamp-failures';
import {
  baseKey,
  mainKey,
  previewKey,
  refundSourceRef,
  stampJobPrefix,
  stampJobWorkflowId,
  stickerKey,
  tabKey,
  uploadKey,
  zipKey,
  ZIP_FILE,
} from '../domain/stamp-keys';
import {
  describeProblems,
  splitStampLines,
  validateStampMessages,
  type StampMessageProblem,
} from '../domain/stamp-messages';
import {
  CONTENT_GONE_TEXT,
  EXTERNAL_CONTENT_TEXT,
  NO_TICKET_PENDING_SUFFIX,
  jobCompletedText,
  noTicketText,
  photoAcceptedText,
  photoRejectedText,
  textsRejectedText,
} from '../domain/stamp-texts';
import type { StickerImageKind } from '../domain/sticker-spec';
import { Prisma, type Db, type Tx } from '../lib/db';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/metrics';
import { createPublicS3 } from '../lib/s3';
import { readSafeExif, type SafeExif } from '../lib/stickers/exif';
import { findUnsupportedCharacters } from '../lib/stickers/font';
import { MEDIA_TYPES, validateBaseImage, type InputLimits } from '../lib/stickers/input';
import {
  prepareBase,
  renderMainImage,
  renderStickerFromPrepared,
  renderTabImage,
  type PreparedBase,
} from '../lib/stickers/render';
import type { CheckoutLinks } from './chat';
import { buildPreviewSheet, buildStampZip, checkStickerImage } from './stamps/assemble';
import { createStampObjects, MAX_PRESIGN_SECONDS, type StampObjects } from './stamps/objects';
import { findOrCreateUser } from '../services/users';

/**
 * Stamp (custom sticker) activities: the LINE intake (photo, then messages, cancel, expiry) and
 * the stamp job (consume a ticket, read EXIF, render, assemble, record, deliver, refund).
 *
 * Every activity is idempotent for its input: rows are keyed by the queue ID (consumption,
 * images, refund ticket `refund:<queueId>`), objects by predictable keys (domain/stamp-keys.ts),
 * so a retry after a crash finds the work done and does not repeat it.
 *
 * Failure types: expected outcomes of the intake (bad photo, bad messages, no ticket) are return
 * values, never exceptions. The job throws non-retryable ApplicationFailures for permanent
 * problems (domain/stamp-failures.ts); anything else is retried by Temporal.
 */

export interface StampDeps {
  config: AppConfig;
  db: Db;
  s3: S3Client;
  bucket: string;
  /** LINE data API (message content). */
  blob: Pick<messagingApi.MessagingApiBlobClient, 'getMessageContent'>;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** Stripe Checkout links for the "no ticket" reply; without it the reply says how to buy. */
  checkout?: CheckoutLinks;
  /**
   * Test hook: a pause after each sticker, so a test can watch rendering progress and kill the
   * worker in the middle. Default: STAMP_RENDER_THROTTLE_MS when NODE_ENV=test, else 0.
   */
  renderThrottleMs?: number;
}

/** How long the links in the LINE delivery work (SigV4 maximum). */
export const DELIVERY_LINK_SECONDS = MAX_PRESIGN_SECONDS;

export type AcceptPhotoResult =
  | { accepted: true; queueId: string; expiresAt: string; reply: string }
  | { accepted: false; reason: string; reply: string };

export type SubmitTextsResult =
  | { kind: 'no-pending' }
  | { kind: 'expired'; queueId: string }
  | { kind: 'rejected'; queueId: string; reply: string; problems: StampMessageProblem[] }
  | { kind: 'no-ticket'; queueId: string; reply: string }
  | { kind: 'queued'; queueId: string; count: number; jobWorkflowId: string };

export type ConsumeResult =
  | {
      outcome: 'consumed';
      userId: string;
      lineUserId: string;
      ticketId: string;
      orders: number[];
    }
  | { outcome: 'no-ticket'; userId: string; lineUserId: string }
  | { outcome: 'not-runnable'; status: string; lineUserId?: string };

export interface RefundResult {
  refunded: boolean;
  replacementTicketId?: string;
  /** The job had completed: nothing is given back. */
  completed?: boolean;
}

export interface DeliveryContent {
  texts: string[];
  images: Array<{ originalContentUrl: string; previewImageUrl: string }>;
}

class TooLarge extends Error {}

function permanent(type: StampPermanentType, message: string): never {
  throw ApplicationFailure.nonRetryable(message, type);
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function heartbeat(details?: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    // Called outside an activity (benchmarks, direct tests): nothing to report to.
  }
}

/** Stops between stickers when the workflow cancelled the activity (seen via heartbeats). */
async function throwIfCancelled(): Promise<void> {
  let ctx: Context;
  try {
    ctx = Context.current();
  } catch {
    return;
  }
  if (ctx.cancellationSignal.aborted) await ctx.cancelled;
}

function activityInfo(): { attempt: number; heartbeatDetails: unknown } {
  try {
    const { info } = Context.current();
    return { attempt: info.attempt, heartbeatDetails: info.heartbeatDetails };
  } catch {
    return { attempt: 1, heartbeatDetails: undefined };
  }
}

/** A small per-process cache of decoded base photos: a set is usually rendered by one worker. */
function preparedCache(max: number) {
  const entries = new Map<string, Promise<PreparedBase>>();
  return {
    get(key: string, load: () => Promise<PreparedBase>): Promise<PreparedBase> {
      let hit = entries.get(key);
      if (hit) {
        entries.delete(key);
        entries.set(key, hit);
        return hit;
      }
      hit = load();
      entries.set(key, hit);
      hit.catch(() => entries.delete(key));
      while (entries.size > max) entries.delete(entries.keys().next().value as string);
      return hit;
    },
    set(key: string, value: PreparedBase): void {
      entries.set(key, Promise.resolve(value));
      while (entries.size > max) entries.delete(entries.keys().next().value as string);
    },
    delete(key: string): void {
      entries.delete(key);
    },
  };
}

export function createStampActivities(deps: StampDeps) {
  const { config, db, clock, logger, metrics } = deps;
  const limits = config.catalog.stamp;
  const inputLimits: InputLimits = {
    maxUploadBytes: limits.maxUploadBytes,
    maxInputPixels: limits.maxInputPixels,
  };
  const objects: StampObjects = createStampObjects(
    deps.s3,
    deps.bucket,
    createPublicS3(config.env),
  );
  const throttleMs =
    deps.renderThrottleMs ??
    (config.env.NODE_ENV === 'test' ? Number(process.env.STAMP_RENDER_THROTTLE_MS ?? 0) || 0 : 0);
  const cache = preparedCache(8);

  async function ticketLinks(userId: string): Promise<Array<{ name: string; url: string }>> {
    if (!deps.checkout) return [];
    const products = Object.entries(config.catalog.products).filter(
      ([, p]) => p.kind === 'tickets',
    );
    const links = await Promise.all(
      products.map(async ([id, p]) => {
        try {
          return {
            name: `${p.name}（${p.priceYen}円）`,
            url: await deps.checkout!.linkFor(userId, id),
          };
        } catch (err) {
          logger.warn({ productId: id, err: errorMessage(err) }, 'checkout link failed');
          return null;
        }
      }),
    );
    return links.filter((l): l is { name: string; url: string } => l !== null);
  }

  async function availableTickets(userId: string): Promise<number> {
    return db.lineStampTicket.count({ where: { userId, deletedAt: null, consumption: null } });
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

  async function lockQueue(tx: Tx, queueId: string): Promise<void> {
    await tx.$queryRaw`SELECT id::text FROM line_stamp_generate_queues WHERE id = ${queueId}::uuid FOR UPDATE`;
  }

  /** Deletes a job's objects; failures only logged (orphans cost storage, not correctness). */
  async function deleteJobObjects(userId: string, queueId: string, keep: string[] = []) {
    try {
      const keys = await objects.list(stampJobPrefix(userId, queueId));
      await Promise.all(keys.filter((k) => !keep.includes(k)).map((k) => objects.delete(k)));
    } catch (err) {
      logger.warn({ queueId, err: errorMessage(err) }, 'could not delete stamp objects');
    }
  }

  async function loadPrepared(queueId: string, userId: string): Promise<PreparedBase> {
    return cache.get(queueId, async () => {
      const bytes = await objects.get(baseKey(userId, queueId));
      if (!bytes) permanent('BASE_IMAGE_MISSING', `base image of stamp job ${queueId} is missing`);
      try {
        return await prepareBase(bytes, { maxInputPixels: limits.maxInputPixels });
      } catch (err) {
        permanent('BASE_IMAGE_INVALID', `base image of ${queueId}: ${errorMessage(err)}`);
      }
    });
  }

  async function queueWithMessages(queueId: string) {
    const queue = await db.lineStampGenerateQueue.findUnique({
      where: { id: queueId },
      include: {
        messages: { where: { deletedAt: null }, orderBy: { orderPriority: 'asc' } },
        user: { select: { lineUserId: true } },
      },
    });
    if (!queue) permanent('QUEUE_NOT_FOUND', `stamp job ${queueId} does not exist`);
    return queue;
  }

  async function validated(png: Buffer, kind: StickerImageKind, what: string): Promise<Buffer> {
    const violations = await checkStickerImage(png, kind);
    if (violations.length > 0) {
      permanent('STICKER_INVALID', `${what}: ${violations.map((v) => v.message).join('; ')}`);
    }
    return png;
  }

  return {
    // ---------------------------------------------------------------------------------------
    // LINE intake

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
    }): Promise<AcceptPhotoResult> {
      const done = await db.lineStampGenerateQueue.findUnique({ where: { id: input.queueId } });
      if (done?.expiresAt) {
        return {
          accepted: true,
          queueId: done.id,
          expiresAt: done.expiresAt.toISOString(),
          reply: photoAcceptedText(limits),
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
      const expiresAt = new Date(clock.now().getTime() + limits.pendingPhotoTtlMinutes * 60_000);
      const superseded = await db.$transaction(async (tx) => {
        const older = await tx.lineStampGenerateQueue.findMany({
          where: { userId: user.id, status: 'awaiting_messages', id: { not: input.queueId } },
          select: { id: true },
        });
        if (older.length > 0) {
          await tx.lineStampGenerateQueue.updateMany({
            where: { id: { in: older.map((o) => o.id) }, status: 'awaiting_messages' },
            data: { status: 'cancelled', failureReason: 'SUPERSEDED' },
          });
        }
        await tx.lineStampGenerateQueue.upsert({
          where: { id: input.queueId },
          create: {
            id: input.queueId,
            userId: user.id,
            imageUri: key,
            imageType: MEDIA_TYPES[format],
            status: 'awaiting_messages',
            source: 'line',
            expiresAt,
          },
          update: {},
        });
        return older.map((o) => o.id);
      });
      await Promise.all(superseded.map((id) => deleteJobObjects(user.id, id)));
      logger.info({ queueId: input.queueId, format, bytes: bytes.length }, 'stamp photo accepted');
      return {
        accepted: true,
        queueId: input.queueId,
        expiresAt: expiresAt.toISOString(),
        reply: photoAcceptedText(limits, await availableTickets(user.id)),
      };
    },

    /** The user's photo still waiting for messages, if any (not expired). */
    async findPendingStampPhoto(input: {
      lineUserId: string;
    }): Promise<{ queueId: string; expiresAt: string } | null> {
      const q = await db.lineStampGenerateQueue.findFirst({
        where: {
          user: { lineUserId: input.lineUserId },
          status: 'awaiting_messages',
          deletedAt: null,
          expiresAt: { gt: clock.now() },
        },
        orderBy: { createdAt: 'desc' },
      });
      return q?.expiresAt ? { queueId: q.id, expiresAt: q.expiresAt.toISOString() } : null;
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
    }): Promise<SubmitTextsResult> {
      const user = await db.user.findUnique({ where: { lineUserId: input.lineUserId } });
      if (!user) return { kind: 'no-pending' };
      const queue = await db.lineStampGenerateQueue.findFirst({
        where: input.queueId
          ? { id: input.queueId, userId: user.id, deletedAt: null }
          : { userId: user.id, status: 'awaiting_messages', deletedAt: null },
        orderBy: { createdAt: 'desc' },
        include: { _count: { select: { messages: true } } },
      });
      if (!queue) return { kind: 'no-pending' };
      const jobWorkflowId = stampJobWorkflowId(queue.id);
      if (queue.status === 'expired') return { kind: 'expired', queueId: queue.id };
      if (queue.status !== 'awaiting_messages') {
        // Already submitted (this is a retry): report what was done.
        return queue.workflowId === jobWorkflowId
          ? { kind: 'queued', queueId: queue.id, count: queue._count.messages, jobWorkflowId }
          : { kind: 'no-pending' };
      }
      if (queue.expiresAt && queue.expiresAt.getTime() <= clock.now().getTime()) {
        const { count } = await db.lineStampGenerateQueue.updateMany({
          where: { id: queue.id, status: 'awaiting_messages' },
          data: { status: 'expired', failureReason: 'EXPIRED' },
        });
        if (count > 0) await deleteJobObjects(user.id, queue.id);
        return { kind: 'expired', queueId: queue.id };
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
      if ((await availableTickets(user.id)) === 0) {
        const links = await ticketLinks(user.id);
        return {
          kind: 'no-ticket',
          queueId: queue.id,
          reply: `${noTicketText(links)}\n${NO_TICKET_PENDING_SUFFIX}`,
        };
      }

      const stored = await db.$transaction(async (tx) => {
        await lockQueue(tx, queue.id);
        const current = await tx.lineStampGenerateQueue.findUnique({ where: { id: queue.id } });
        if (current?.status !== 'awaiting_messages') return current?.workflowId === jobWorkflowId;
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
          data: { status: 'queued', workflowId: jobWorkflowId },
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
          status: 'awaiting_messages',
          deletedAt: null,
        },
        orderBy: { createdAt: 'desc' },
      });
      if (!queue) return { cancelled: false };
      const { count } = await db.lineStampGenerateQueue.updateMany({
        where: { id: queue.id, status: 'awaiting_messages' },
        data: { status: 'cancelled', failureReason: 'CANCELLED_BY_USER' },
      });
      if (count === 0) return { cancelled: false };
      await deleteJobObjects(queue.userId, queue.id);
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
      const { count } = await db.lineStampGenerateQueue.updateMany({
        where: { id: queue.id, status: 'awaiting_messages', expiresAt: { lte: clock.now() } },
        data: { status: 'expired', failureReason: 'EXPIRED' },
      });
      if (count === 0) return { expired: false };
      await deleteJobObjects(queue.userId, queue.id);
      return { expired: true, lineUserId: queue.user.lineUserId };
    },

    // ---------------------------------------------------------------------------------------
    // Stamp job

    /**
     * Consumes one ticket for the job, exactly once: the queue row is locked, an existing
     * consumption is reused, else the user's oldest unused ticket is taken (row lock, SKIP
     * LOCKED so concurrent jobs take different tickets; UNIQUE(ticket) and UNIQUE(queue) are
     * the final guard). No ticket: the job is marked failed with NO_TICKET.
     */
    async consumeStampTicket(input: {
      queueId: string;
      workflowId: string;
    }): Promise<ConsumeResult> {
      return db.$transaction(async (tx) => {
        await lockQueue(tx, input.queueId);
        const queue = await tx.lineStampGenerateQueue.findUnique({
          where: { id: input.queueId },
          include: {
            consumption: true,
            user: { select: { lineUserId: true } },
            messages: {
              where: { deletedAt: null },
              orderBy: { orderPriority: 'asc' },
              select: { orderPriority: true },
            },
          },
        });
        if (!queue || queue.deletedAt) return { outcome: 'not-runnable', status: 'missing' };
        const { lineUserId } = queue.user;
        const orders = queue.messages.map((m) => m.orderPriority);
        if (queue.status === 'completed') {
          return { outcome: 'not-runnable', status: queue.status, lineUserId };
        }
        if (queue.consumption && !queue.consumption.deletedAt) {
          return {
            outcome: 'consumed',
            userId: queue.userId,
            lineUserId,
            ticketId: queue.consumption.lineStampTicketId,
            orders,
          };
        }
        if (queue.status === 'failed' && queue.failureReason === NO_TICKET) {
          return { outcome: 'no-ticket', userId: queue.userId, lineUserId };
        }
        if (queue.status !== 'queued' || queue.consumption || orders.length === 0) {
          return { outcome: 'not-runnable', status: queue.status, lineUserId };
        }
        const [ticket] = await tx.$queryRaw<Array<{ id: string }>>`
          SELECT t.id::text AS id
          FROM line_stamp_tickets t
          WHERE t.user_id = ${queue.userId}::uuid
            AND t.deleted_at IS NULL
            AND NOT EXISTS (
              SELECT 1 FROM line_stamp_ticket_consumptions c WHERE c.line_stamp_ticket_id = t.id
            )
          ORDER BY t.created_at, t.id
          LIMIT 1
          FOR UPDATE OF t SKIP LOCKED`;
        if (!ticket) {
          await tx.lineStampGenerateQueue.update({
            where: { id: queue.id },
            data: { status: 'failed', failureReason: NO_TICKET, workflowId: input.workflowId },
          });
          metrics.stampJobs.inc({ outcome: 'no_ticket' });
          return { outcome: 'no-ticket', userId: queue.userId, lineUserId };
        }
        await tx.lineStampTicketConsumption.create({
          data: {
            lineStampGenerateQueueId: queue.id,
            lineStampTicketId: ticket.id,
            userId: queue.userId,
          },
        });
        await tx.lineStampGenerateQueue.update({
          where: { id: queue.id },
          data: { status: 'processing', workflowId: input.workflowId },
        });
        return {
          outcome: 'consumed',
          userId: queue.userId,
          lineUserId,
          ticketId: ticket.id,
          orders,
        };
      });
    },

    /** The "no ticket" reply, with purchase links when checkout is available. */
    async composeNoTicketReply(input: { userId: string }): Promise<string> {
      return noTicketText(await ticketLinks(input.userId));
    },

    /**
     * Reads the photo's EXIF (safe subset: camera, date, orientation, size; never GPS) into
     * `image_exif`, and replaces the upload by the drawing base: auto-oriented, at most
     * 1024 px, re-encoded without any metadata. The upload (with its GPS) is then deleted.
     */
    async prepareStampBase(input: { queueId: string }): Promise<{ exif: SafeExif | null }> {
      const queue = await db.lineStampGenerateQueue.findUnique({ where: { id: input.queueId } });
      if (!queue) permanent('QUEUE_NOT_FOUND', `stamp job ${input.queueId} does not exist`);
      const key = baseKey(queue.userId, queue.id);
      if (queue.imageUri === key) {
        // Done by an earlier attempt; make sure the upload (with its GPS) did not survive it.
        const prefix = stampJobPrefix(queue.userId, queue.id);
        const uploads = (await objects.list(`${prefix}upload.`)).filter((k) => k !== key);
        await Promise.all(uploads.map((k) => objects.delete(k)));
        return { exif: (queue.imageExif as SafeExif | null) ?? null };
      }
      const upload = await objects.get(queue.imageUri);
      if (!upload) permanent('BASE_IMAGE_MISSING', `uploaded photo of ${queue.id} is missing`);
      const exif = await readSafeExif(upload);
      let prepared: PreparedBase;
      let stored: { width?: number; height?: number };
      try {
        prepared = await prepareBase(upload, { maxInputPixels: limits.maxInputPixels });
        stored = await sharp(upload, { limitInputPixels: false }).metadata();
      } catch (err) {
        permanent('BASE_IMAGE_INVALID', `photo of ${queue.id}: ${errorMessage(err)}`);
      }
      // The safe EXIF subset; the size falls back to the file's own when EXIF has none.
      const safe: SafeExif = { ...(exif ?? {}) };
      safe.width ??= stored.width;
      safe.height ??= stored.height;
      // sharp writes no metadata unless asked to: the base carries no EXIF, GPS or ICC.
      const jpeg = await sharp(prepared.data, {
        raw: { width: prepared.width, height: prepared.height, channels: prepared.channels },
      })
        .jpeg({ quality: 92, chromaSubsampling: '4:4:4' })
        .toBuffer();
      await objects.put(key, jpeg, 'image/jpeg');
      await db.lineStampGenerateQueue.update({
        where: { id: queue.id },
        data: {
          imageExif: JSON.parse(JSON.stringify(safe)) as Prisma.InputJsonObject,
          imageUri: key,
          imageType: 'image/jpeg',
        },
      });
      cache.set(queue.id, prepared);
      await objects.delete(queue.imageUri).catch((err: unknown) => {
        logger.warn({ queueId: queue.id, err: errorMessage(err) }, 'could not delete the upload');
      });
      return { exif: safe };
    },

    /**
     * Renders the stickers of the given orders and stores each as soon as it is done,
     * heartbeating the orders finished so far. A retry skips what an earlier attempt stored,
     * so one message's failure re-renders that message only.
     */
    async renderStampStickers(input: {
      queueId: string;
      orders: number[];
    }): Promise<{ rendered: number[]; skipped: number[] }> {
      const { attempt, heartbeatDetails } = activityInfo();
      const done = new Set<number>(
        Array.isArray((heartbeatDetails as { done?: unknown } | undefined)?.done)
          ? ((heartbeatDetails as { done: number[] }).done ?? [])
          : [],
      );
      heartbeat({ done: [...done] });
      const queue = await queueWithMessages(input.queueId);
      const texts = new Map(queue.messages.map((m) => [m.orderPriority, m.message]));
      const prepared = await loadPrepared(queue.id, queue.userId);
      const rendered: number[] = [];
      const skipped: number[] = [];
      for (const order of input.orders) {
        const key = stickerKey(queue.userId, queue.id, order);
        if (done.has(order) || (attempt > 1 && (await objects.exists(key)))) {
          done.add(order);
          skipped.push(order);
          heartbeat({ done: [...done] });
          continue;
        }
        const text = texts.get(order);
        if (text === undefined) permanent('STICKER_RENDER_FAILED', `no message ${order}`);
        let png: Buffer;
        try {
          png = await renderStickerFromPrepared(prepared, text);
        } catch (err) {
          if (isBusinessError(err)) {
            permanent('STICKER_RENDER_FAILED', `sticker ${order}: ${err.message}`);
          }
          throw err;
        }
        await validated(png, 'sticker', `sticker ${order}`);
        await objects.put(key, png, 'image/png');
        done.add(order);
        rendered.push(order);
        heartbeat({ done: [...done] });
        if (throttleMs > 0) await sleep(throttleMs);
        await throwIfCancelled();
      }
      return { rendered, skipped };
    },

    /** Main and tab images, the ZIP of the set and the preview sheet, from the stored stickers. */
    async assembleStampSet(input: {
      queueId: string;
    }): Promise<{ stickers: number; zipBytes: number }> {
      const queue = await queueWithMessages(input.queueId);
      heartbeat();
      const prepared = await loadPrepared(queue.id, queue.userId);
      const stickers = await Promise.all(
        queue.messages.map(async (m) => {
          const png = await objects.get(stickerKey(queue.userId, queue.id, m.orderPriority));
          if (!png)
            permanent('STICKER_MISSING', `sticker ${m.orderPriority} of ${queue.id} is missing`);
          return { order: m.orderPriority, png };
        }),
      );
      heartbeat();
      const firstText = queue.messages[0]?.message;
      const [main, tab] = await Promise.all([
        renderMainImage(prepared, firstText).then((b) => validated(b, 'main', 'main image')),
        renderTabImage(prepared).then((b) => validated(b, 'tab', 'tab image')),
      ]);
      const [zip, preview] = await Promise.all([
        buildStampZip({ stickers, main, tab }),
        buildPreviewSheet(stickers.map((s) => s.png)),
      ]);
      heartbeat();
      await Promise.all([
        objects.put(mainKey(queue.userId, queue.id), main, 'image/png'),
        objects.put(tabKey(queue.userId, queue.id), tab, 'image/png'),
        objects.put(zipKey(queue.userId, queue.id), zip, 'application/zip'),
        objects.put(previewKey(queue.userId, queue.id), preview, 'image/jpeg'),
      ]);
      return { stickers: stickers.length, zipBytes: zip.length };
    },

    /**
     * Records the set (`line_stamp_images`, idempotent by (queue, image_uri)) and marks the job
     * consumed and completed, in one transaction.
     */
    async completeStampJob(input: { queueId: string }): Promise<{ images: number }> {
      const result = await db.$transaction(async (tx) => {
        await lockQueue(tx, input.queueId);
        const queue = await tx.lineStampGenerateQueue.findUnique({
          where: { id: input.queueId },
          include: { messages: { where: { deletedAt: null }, orderBy: { orderPriority: 'asc' } } },
        });
        if (!queue) permanent('QUEUE_NOT_FOUND', `stamp job ${input.queueId} does not exist`);
        const u = queue.userId;
        const rows: Prisma.LineStampImageCreateManyInput[] = [
          ...queue.messages.map((m) => ({
            userId: u,
            lineStampGenerateQueueId: queue.id,
            lineStampGenerateQueueMessageId: m.id,
            imageUri: stickerKey(u, queue.id, m.orderPriority),
            kind: 'sticker' as const,
          })),
          {
            userId: u,
            lineStampGenerateQueueId: queue.id,
            imageUri: mainKey(u, queue.id),
            kind: 'main',
          },
          {
            userId: u,
            lineStampGenerateQueueId: queue.id,
            imageUri: tabKey(u, queue.id),
            kind: 'tab',
          },
          {
            userId: u,
            lineStampGenerateQueueId: queue.id,
            imageUri: zipKey(u, queue.id),
            kind: 'zip',
          },
        ];
        await tx.lineStampImage.createMany({ data: rows, skipDuplicates: true });
        const first = queue.status !== 'completed';
        await tx.lineStampGenerateQueue.update({
          where: { id: queue.id },
          data: {
            status: 'completed',
            consumedAt: queue.consumedAt ?? clock.now(),
            failureReason: null,
          },
        });
        return { images: rows.length, first };
      });
      if (result.first) metrics.stampJobs.inc({ outcome: 'completed' });
      return { images: result.images };
    },

    /** The LINE delivery of a finished set: a text with the ZIP link, the main image, the sheet. */
    async stampDeliveryContent(input: { queueId: string }): Promise<DeliveryContent> {
      const queue = await queueWithMessages(input.queueId);
      const u = queue.userId;
      const seconds = DELIVERY_LINK_SECONDS;
      const [zipUrl, mainUrl, previewUrl] = await Promise.all([
        objects.presign(zipKey(u, queue.id), seconds, ZIP_FILE),
        objects.presign(mainKey(u, queue.id), seconds),
        objects.presign(previewKey(u, queue.id), seconds),
      ]);
      return {
        texts: [jobCompletedText(queue.messages.length, zipUrl, Math.floor(seconds / 86400))],
        images: [
          { originalContentUrl: mainUrl, previewImageUrl: mainUrl },
          { originalContentUrl: previewUrl, previewImageUrl: previewUrl },
        ],
      };
    },

    /**
     * Compensation for a job that failed for good: the consumption is soft-deleted and a
     * replacement ticket (`source_ref = refund:<queueId>`) is created in the same transaction;
     * the job is marked failed and its partial outputs are deleted. A completed job is never
     * refunded. Idempotent.
     */
    async refundStampTicket(input: { queueId: string; reason: string }): Promise<RefundResult> {
      const reason = input.reason.slice(0, 500);
      const result = await db.$transaction(
        async (tx): Promise<RefundResult & { userId?: string }> => {
          await lockQueue(tx, input.queueId);
          const queue = await tx.lineStampGenerateQueue.findUnique({
            where: { id: input.queueId },
            include: { consumption: true },
          });
          if (!queue) return { refunded: false };
          if (queue.status === 'completed') return { refunded: false, completed: true };
          const sourceRef = refundSourceRef(queue.id);
          let replacement = await tx.lineStampTicket.findFirst({
            where: { sourceRef, userId: queue.userId },
          });
          const consumption = queue.consumption;
          if (consumption && !consumption.deletedAt) {
            await tx.lineStampTicketConsumption.update({
              where: { id: consumption.id },
              data: { deletedAt: clock.now() },
            });
            replacement ??= await tx.lineStampTicket.create({
              data: { userId: queue.userId, sourceRef },
            });
          }
          await tx.lineStampGenerateQueue.update({
            where: { id: queue.id },
            data: { status: 'failed', failureReason: reason },
          });
          return {
            refunded: consumption !== null,
            userId: queue.userId,
            ...(replacement ? { replacementTicketId: replacement.id } : {}),
          };
        },
      );
      if (result.userId) await deleteJobObjects(result.userId, input.queueId);
      metrics.stampJobs.inc({ outcome: result.refunded ? 'refunded' : 'failed' });
      logger.warn(
        { queueId: input.queueId, reason, refunded: result.refunded },
        'stamp job failed',
      );
      const { userId: _userId, ...out } = result;
      return out;
    },
  };
}

export type StampActivities = ReturnType<typeof createStampActivities>;
