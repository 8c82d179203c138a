import { permanent } from '../domain/stamp-failures';
import {
  mainKey,
  previewKey,
  stampJobPrefix,
  stickerKey,
  tabKey,
  zipKey,
  ZIP_FILE,
} from '../domain/stamp-keys';
import {
  complete,
  fail,
  failForNoTicket,
  startProcessing,
  ticketStep,
} from '../domain/stamp-queue';
import { jobCompletedText } from '../domain/stamp-texts';
import { consumeTicket, refundTicket } from '../ledger/tickets';
import type { Prisma } from '../lib/db';
import { stampObjectsOf, type StampDeps } from './stamp-deps';
import { MAX_PRESIGN_SECONDS } from './stamp-objects';
import { noTicketReply } from './stamp-offers';
import { deleteJobObjects, lockQueue, queueWithMessages } from './stamp-store';

/**
 * The bookkeeping of a stamp job (seed 001): its ticket taken exactly once, its set recorded,
 * its delivery links, and the refund when it fails for good. Every step is one transaction under
 * the queue row's lock (and, for tickets, the user's ledger lock), idempotent for its input.
 */

/** How long the links in the LINE delivery work (SigV4 maximum). */
export const DELIVERY_LINK_SECONDS = MAX_PRESIGN_SECONDS;

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
  /** Every sticker as an image, in order (sent after the set; LINE batches them by 5). */
  stickers: Array<{ originalContentUrl: string; previewImageUrl: string }>;
}

export function createStampJobBook(deps: StampDeps) {
  const { db, clock, logger, metrics } = deps;
  const objects = stampObjectsOf(deps);

  /** The ticket step under the queue's lock: consume (or reuse) a ticket, or refuse. */
  async function consumeOrRefuse(input: {
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
      const { userId } = queue;
      const orders = queue.messages.map((m) => m.orderPriority);
      const step = ticketStep({ ...queue, messages: orders.length });
      if (step.step === 'not-runnable') {
        return { outcome: 'not-runnable', status: queue.status, lineUserId };
      }
      if (step.step === 'reuse') {
        const ticketId = queue.consumption!.lineStampTicketId;
        return { outcome: 'consumed', userId, lineUserId, ticketId, orders };
      }
      if (step.step === 'no-ticket') return { outcome: 'no-ticket', userId, lineUserId };
      const ticketId = await consumeTicket(tx, { userId, queueId: queue.id });
      if (!ticketId) {
        await tx.lineStampGenerateQueue.update({
          where: { id: queue.id },
          data: { ...failForNoTicket(), workflowId: input.workflowId },
        });
        metrics.stampJobs.inc({ outcome: 'no_ticket' });
        return { outcome: 'no-ticket', userId, lineUserId };
      }
      await tx.lineStampGenerateQueue.update({
        where: { id: queue.id },
        data: { ...startProcessing(), workflowId: input.workflowId },
      });
      return { outcome: 'consumed', userId, lineUserId, ticketId, orders };
    });
  }

  return {
    /**
     * Consumes one ticket for the job, exactly once: the queue row is locked, an existing
     * consumption is reused, else the user's oldest unused ticket is taken (ledger/tickets.ts).
     * No ticket: the job is marked failed with NO_TICKET.
     */
    async consumeStampTicket(input: {
      queueId: string;
      workflowId: string;
    }): Promise<ConsumeResult> {
      const result = await consumeOrRefuse(input);
      // A job refused for want of a ticket never runs: its photo (the upload, with its GPS)
      // goes now, and a failure to delete fails this step, which is retried (the refusal
      // repeats without consuming anything) until the bucket holds nothing of the job.
      if (result.outcome === 'no-ticket')
        await objects.deletePrefix(stampJobPrefix(result.userId, input.queueId));
      return result;
    },

    /**
     * The "no ticket" reply: a hint to send 「購入」, never a Checkout session (the input is
     * kept for workflows that pass it).
     */
    async composeNoTicketReply(_input: { userId: string }): Promise<string> {
      return noTicketReply();
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
        const setImage = (imageUri: string, kind: 'main' | 'tab' | 'zip') => ({
          userId: u,
          lineStampGenerateQueueId: queue.id,
          imageUri,
          kind,
        });
        const rows: Prisma.LineStampImageCreateManyInput[] = [
          ...queue.messages.map((m) => ({
            userId: u,
            lineStampGenerateQueueId: queue.id,
            lineStampGenerateQueueMessageId: m.id,
            imageUri: stickerKey(u, queue.id, m.orderPriority),
            kind: 'sticker' as const,
          })),
          setImage(mainKey(u, queue.id), 'main'),
          setImage(tabKey(u, queue.id), 'tab'),
          setImage(zipKey(u, queue.id), 'zip'),
        ];
        await tx.lineStampImage.createMany({ data: rows, skipDuplicates: true });
        const first = queue.status !== 'completed';
        await tx.lineStampGenerateQueue.update({
          where: { id: queue.id },
          data: { ...complete(), consumedAt: queue.consumedAt ?? clock.now() },
        });
        return { images: rows.length, first };
      });
      if (result.first) metrics.stampJobs.inc({ outcome: 'completed' });
      return { images: result.images };
    },

    /**
     * The LINE delivery of a finished set: a text with the ZIP link, the main image, the sheet;
     * then each sticker as an image message (links as long as the ZIP's).
     */
    async stampDeliveryContent(input: { queueId: string }): Promise<DeliveryContent> {
      const queue = await queueWithMessages(db, input.queueId);
      const u = queue.userId;
      const seconds = DELIVERY_LINK_SECONDS;
      const [zipUrl, mainUrl, previewUrl, stickerUrls] = await Promise.all([
        objects.presign(zipKey(u, queue.id), seconds, ZIP_FILE),
        objects.presign(mainKey(u, queue.id), seconds),
        objects.presign(previewKey(u, queue.id), seconds),
        Promise.all(
          queue.messages.map((m) =>
            objects.presign(stickerKey(u, queue.id, m.orderPriority), seconds),
          ),
        ),
      ]);
      return {
        texts: [jobCompletedText(queue.messages.length, zipUrl, Math.floor(seconds / 86400))],
        images: [
          { originalContentUrl: mainUrl, previewImageUrl: mainUrl },
          { originalContentUrl: previewUrl, previewImageUrl: previewUrl },
        ],
        stickers: stickerUrls.map((url) => ({ originalContentUrl: url, previewImageUrl: url })),
      };
    },

    /**
     * Compensation for a job that failed for good: the ticket is given back (ledger/tickets.ts)
     * in the same transaction that marks the job failed; its partial outputs are deleted. A
     * completed job is never refunded. Idempotent.
     */
    async refundStampTicket(input: { queueId: string; reason: string }): Promise<RefundResult> {
      const failed = fail(input.reason);
      const reason = failed.failureReason as string;
      const result = await db.$transaction(
        async (tx): Promise<RefundResult & { userId?: string }> => {
          await lockQueue(tx, input.queueId);
          const queue = await tx.lineStampGenerateQueue.findUnique({
            where: { id: input.queueId },
            include: { consumption: true },
          });
          if (!queue) return { refunded: false };
          if (queue.status === 'completed') return { refunded: false, completed: true };
          const refund = await refundTicket(tx, {
            userId: queue.userId,
            queueId: queue.id,
            consumption: queue.consumption,
            now: clock.now(),
          });
          await tx.lineStampGenerateQueue.update({ where: { id: queue.id }, data: failed });
          return { refunded: queue.consumption !== null, userId: queue.userId, ...refund };
        },
      );
      if (result.userId) await deleteJobObjects(objects, logger, result.userId, input.queueId);
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
