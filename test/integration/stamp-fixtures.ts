import { randomUUID } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Client } from '@temporalio/client';
import * as exifr from 'exifr';
import JSZip from 'jszip';
import sharp from 'sharp';
import { checkStickerImage } from '../../lib/stickers/stamp-set';
import { storeStampJob } from '../../services/stamp-store';
import { createStampObjects, type StampObjects } from '../../services/stamp-objects';
import type { AppConfig } from '../../config';
import { TaskQueues, workSearchAttributes } from '../../config/task-queues';
import {
  baseKey,
  mainKey,
  previewKey,
  stampJobPrefix,
  stampJobWorkflowId,
  stickerKey,
  tabKey,
  zipKey,
} from '../../domain/stamp-keys';
import { createPrisma, type Db } from '../../lib/db';
import { createS3 } from '../../lib/s3';
import { makeLineUserId, type LinePlatformStandIn } from '../../stand-ins';
import { stampJob, type StampJobInput } from '../../workflows/stamp-job';
import { startTestApi } from '../support/test-api';
import {
  queueOf,
  startLineStandIn,
  startWorker,
  temporalClient,
  type RunningWorker,
} from '../support/workers';
import { photoJpeg } from '../unit/sticker-fixtures';

/**
 * Test harness for stamp jobs: the LINE stand-in (the only fake), a real stamp worker (and
 * optionally a chat worker and the API) on a private task-queue prefix, against the real
 * Temporal server, PostgreSQL and MinIO of the jest global setup. Not a test file itself.
 */
export interface StampHarness {
  config: AppConfig;
  db: Db;
  s3: S3Client;
  objects: StampObjects;
  temporal: Client;
  line: LinePlatformStandIn;
  workers: RunningWorker[];
  apiUrl?: string;
  /** Env for a worker started as a child process against the same stand-in and prefix. */
  childEnv: Record<string, string>;
  stampQueue: string;
  chatQueue: string;
  stop(): Promise<void>;
}

export async function startStampHarness(
  label: string,
  options: { workers?: Array<'stamp' | 'chat'>; api?: boolean } = {},
): Promise<StampHarness> {
  const { line, env, config } = await startLineStandIn(label);
  const temporal = await temporalClient(config);
  const db = createPrisma(config.env.DATABASE_URL);
  const s3 = createS3(config.env);
  const workers: RunningWorker[] = [];
  for (const q of options.workers ?? ['stamp']) workers.push(await startWorker(config, q));

  const api = options.api ? await startTestApi(config, { db, s3, temporal }) : undefined;

  return {
    config,
    db,
    s3,
    objects: createStampObjects(s3, config.env.S3_BUCKET),
    temporal,
    line,
    workers,
    apiUrl: api?.url,
    childEnv: { ...(process.env as Record<string, string>), ...env },
    stampQueue: queueOf(config, TaskQueues.stamp),
    chatQueue: queueOf(config, TaskQueues.chat),
    async stop() {
      for (const w of workers) await w.stop();
      await api?.stop();
      await db.$disconnect();
      s3.destroy();
      await temporal.connection.close();
      await line.close();
    },
  };
}

/** A user with `tickets` unused stamp tickets. */
export async function createStampUser(db: Db, tickets = 1) {
  const lineUserId = makeLineUserId(randomUUID());
  const user = await db.user.create({ data: { lineUserId } });
  await addTickets(db, user.id, tickets);
  return { ...user, lineUserId };
}

export async function addTickets(db: Db, userId: string, count: number): Promise<void> {
  if (count > 0) {
    await db.lineStampTicket.createMany({
      data: Array.from({ length: count }, () => ({ userId, sourceRef: `test:${randomUUID()}` })),
    });
  }
}

export function availableTickets(db: Db, userId: string): Promise<number> {
  return db.lineStampTicket.count({ where: { userId, deletedAt: null, consumption: null } });
}

/** A camera-like JPEG: EXIF with camera, date, orientation 6 (rotate 90°) and GPS. */
export function gpsPhoto(width = 640, height = 480): Promise<Buffer> {
  return photoJpeg({ width, height, orientation: 6, withCameraExif: true });
}

/** A queued job as the HTTP intake makes it (photo in S3, rows in one transaction). */
export async function createQueuedJob(
  h: StampHarness,
  userId: string,
  messages: string[],
  image?: Buffer,
): Promise<string> {
  const queueId = randomUUID();
  await storeStampJob(h.db, h.objects, {
    queueId,
    userId,
    image: image ?? (await gpsPhoto()),
    format: 'jpeg',
    messages,
    source: 'http',
  });
  return queueId;
}

export function startJob(h: StampHarness, input: StampJobInput) {
  return h.temporal.workflow.start(stampJob, {
    workflowId: stampJobWorkflowId(input.queueId),
    taskQueue: h.stampQueue,
    args: [input],
    typedSearchAttributes: workSearchAttributes(input.lineUserId, 'stamp'),
  });
}

/** Whether any of the bytes carries GPS (or any EXIF/XMP/IPTC block exifr can find). */
export async function metadataOf(bytes: Buffer): Promise<unknown> {
  return exifr.parse(bytes, {
    ihdr: false,
    tiff: true,
    gps: true,
    xmp: true,
    iptc: true,
    icc: true,
    jfif: false,
  });
}

/**
 * Reads the whole finished set back from S3 (through @aws-sdk/client-s3) and checks it:
 * every sticker/main/tab passes the LINE rules, no file carries metadata (so no GPS), the ZIP
 * holds exactly the set. Returns the keys found under the job's prefix.
 */
export async function expectCompleteSet(
  h: StampHarness,
  userId: string,
  queueId: string,
  count: number,
): Promise<string[]> {
  const keys = (await h.objects.list(stampJobPrefix(userId, queueId))).sort();
  const expected = [
    ...Array.from({ length: count }, (_, i) => stickerKey(userId, queueId, i + 1)),
    mainKey(userId, queueId),
    tabKey(userId, queueId),
    zipKey(userId, queueId),
    previewKey(userId, queueId),
    baseKey(userId, queueId),
  ].sort();
  expect(keys).toEqual(expected);
  const read = async (key: string) => {
    const bytes = await h.objects.get(key);
    if (!bytes) throw new Error(`missing ${key}`);
    return bytes;
  };
  for (let i = 1; i <= count; i++) {
    const png = await read(stickerKey(userId, queueId, i));
    expect(await checkStickerImage(png, 'sticker')).toEqual([]);
    expect(await metadataOf(png)).toBeUndefined();
  }
  const main = await read(mainKey(userId, queueId));
  const tab = await read(tabKey(userId, queueId));
  expect(await checkStickerImage(main, 'main')).toEqual([]);
  expect(await checkStickerImage(tab, 'tab')).toEqual([]);
  for (const key of [mainKey, tabKey, previewKey, baseKey]) {
    const bytes = await read(key(userId, queueId));
    expect(await metadataOf(bytes)).toBeUndefined();
    expect((await sharp(bytes).metadata()).exif).toBeUndefined();
  }
  const zip = await JSZip.loadAsync(await read(zipKey(userId, queueId)));
  const names = Object.keys(zip.files);
  expect(names).toEqual([
    ...Array.from({ length: count }, (_, i) => `${String(i + 1).padStart(2, '0')}.png`),
    'main.png',
    'tab.png',
  ]);
  for (const name of names) {
    const entry = await zip.file(name)!.async('nodebuffer');
    expect(await metadataOf(entry)).toBeUndefined();
    expect(
      await checkStickerImage(
        entry,
        name.startsWith('main') ? 'main' : name.startsWith('tab') ? 'tab' : 'sticker',
      ),
    ).toEqual([]);
  }
  return keys;
}

/** LINE Login ID tokens for the stamp API. */
export { lineIdToken as idToken } from '../support/line-login';

/** The database's row counts for a user's stamp data (to prove "nothing written"). */
export async function stampFootprint(db: Db, userId: string) {
  const [queues, messages, images, consumptions, tickets] = await Promise.all([
    db.lineStampGenerateQueue.count({ where: { userId } }),
    db.lineStampGenerateQueueMessage.count({ where: { userId } }),
    db.lineStampImage.count({ where: { userId } }),
    db.lineStampTicketConsumption.count({ where: { userId } }),
    availableTickets(db, userId),
  ]);
  return { queues, messages, images, consumptions, tickets };
}

/** Keys under the user's S3 prefix. */
export function userObjects(h: StampHarness, userId: string): Promise<string[]> {
  return h.objects.list(`stamps/${userId}/`);
}
