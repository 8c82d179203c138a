import type { Db, Tx } from '../lib/db';
import type { Logger } from '../lib/logger';
import { MEDIA_TYPES, type BaseImageFormat } from '../lib/stickers/input';
import { stampJobPrefix, stampJobWorkflowId, uploadKey } from '../domain/stamp-keys';
import { permanent } from '../domain/stamp-failures';
import { queue as queued } from '../domain/stamp-queue';
import type { StampMode } from '../domain/sticker-set-rules';
import type { StickerStyle } from '../domain/sticker-style';
import type { Prisma } from '../lib/db';
import { errorMessage } from './stamp-deps';
import type { StampObjects } from './stamp-objects';

/**
 * The stamp job's rows and objects as the intake, the job and the HTTP upload share them.
 *
 * A job that arrives complete (photo and messages together, e.g. the HTTP upload) is parked
 * (the photo at its upload key) and then recorded (the queue row `queued` and its messages, in
 * one transaction). Callers validate first.
 */
export interface NewStampJob {
  queueId: string;
  userId: string;
  format: BaseImageFormat;
  /** Validated, normalised messages; order_priority = index + 1. */
  messages: readonly string[];
  source: 'http' | 'line';
  /** The look the set is drawn in; absent: the card (stored as NULL). */
  style?: StickerStyle;
  /** The set rules the caller checked the messages against; absent: personal. */
  mode?: StampMode;
}

/** Puts the received photo at the job's upload key; returns the key. */
export async function parkStampUpload(
  objects: StampObjects,
  job: { queueId: string; userId: string; format: BaseImageFormat; image: Buffer },
): Promise<string> {
  const key = uploadKey(job.userId, job.queueId, job.format);
  await objects.put(key, job.image, MEDIA_TYPES[job.format]);
  return key;
}

/**
 * Records a parked job: the queue row (`queued`) and its messages in one transaction.
 * Idempotent by queue ID: a second call finds the row and writes nothing.
 */
export async function recordStampJob(db: Db, job: NewStampJob): Promise<void> {
  const key = uploadKey(job.userId, job.queueId, job.format);
  await db.$transaction(async (tx) => {
    const existing = await tx.lineStampGenerateQueue.findUnique({ where: { id: job.queueId } });
    if (existing) return;
    await tx.lineStampGenerateQueue.create({
      data: {
        id: job.queueId,
        userId: job.userId,
        imageUri: key,
        imageType: MEDIA_TYPES[job.format],
        ...queued(),
        source: job.source,
        workflowId: stampJobWorkflowId(job.queueId),
        ...(job.style ? { style: { ...job.style } as Prisma.InputJsonObject } : {}),
        setMode: job.mode ?? 'personal',
      },
    });
    await tx.lineStampGenerateQueueMessage.createMany({
      data: job.messages.map((message, i) => ({
        userId: job.userId,
        lineStampGenerateQueueId: job.queueId,
        message,
        orderPriority: i + 1,
      })),
    });
  });
}

/** Parks and records a complete job; on any failure here nothing is left behind. */
export async function storeStampJob(
  db: Db,
  objects: StampObjects,
  job: NewStampJob & { image: Buffer },
): Promise<void> {
  const key = await parkStampUpload(objects, job);
  try {
    await recordStampJob(db, job);
  } catch (err) {
    await objects.delete(key).catch(() => undefined);
    throw err;
  }
}

/** Undoes storeStampJob (the workflow could not be started): rows and objects go. */
export async function discardStampJob(
  db: Db,
  objects: StampObjects,
  job: { queueId: string; userId: string },
): Promise<void> {
  await db.lineStampGenerateQueue.deleteMany({ where: { id: job.queueId, userId: job.userId } });
  await objects.deletePrefix(stampJobPrefix(job.userId, job.queueId));
}

/** The queue row's lock: the steps that change one job's row take it first. */
export async function lockQueue(tx: Tx, queueId: string): Promise<void> {
  await tx.$queryRaw`SELECT id::text FROM line_stamp_generate_queues WHERE id = ${queueId}::uuid FOR UPDATE`;
}

/** Deletes a job's objects, or throws (S3 unreachable) so that the step is retried. */
export async function removeJobObjects(
  objects: StampObjects,
  userId: string,
  queueId: string,
): Promise<void> {
  const keys = await objects.list(stampJobPrefix(userId, queueId));
  await Promise.all(keys.map((k) => objects.delete(k)));
}

/** Deletes a job's objects; failures only logged (orphans cost storage, not correctness). */
export async function deleteJobObjects(
  objects: StampObjects,
  logger: Logger,
  userId: string,
  queueId: string,
): Promise<void> {
  try {
    await removeJobObjects(objects, userId, queueId);
  } catch (err) {
    logger.warn({ queueId, err: errorMessage(err) }, 'could not delete stamp objects');
  }
}

/** The job with its live messages in order and its LINE user; QUEUE_NOT_FOUND when gone. */
export async function queueWithMessages(db: Db, queueId: string) {
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
