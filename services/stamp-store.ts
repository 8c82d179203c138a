import type { Db } from '../../lib/db';
import { MEDIA_TYPES, type BaseImageFormat } from '../../lib/stickers/input';
import { stampJobPrefix, stampJobWorkflowId, uploadKey } from '../../domain/stamp-keys';
import type { StampObjects } from './objects';

/**
 * Creating a stamp job that arrives complete (photo and messages together, e.g. the HTTP
 * upload): the photo goes to S3, then the queue row (`queued`) and its messages are written in
 * one transaction. Callers validate first; on any failure here nothing is left behind.
 */
export interface NewStampJob {
  queueId: string;
  userId: string;
  image: Buffer;
  format: BaseImageFormat;
  /** Validated, normalised messages; order_priority = index + 1. */
  messages: readonly string[];
  source: 'http' | 'line';
}

export async function storeStampJob(
  db: Db,
  objects: StampObjects,
  job: NewStampJob,
): Promise<void> {
  const key = uploadKey(job.userId, job.queueId, job.format);
  await objects.put(key, job.image, MEDIA_TYPES[job.format]);
  try {
    await db.$transaction(async (tx) => {
      await tx.lineStampGenerateQueue.create({
        data: {
          id: job.queueId,
          userId: job.userId,
          imageUri: key,
          imageType: MEDIA_TYPES[job.format],
          status: 'queued',
          source: job.source,
          workflowId: stampJobWorkflowId(job.queueId),
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
