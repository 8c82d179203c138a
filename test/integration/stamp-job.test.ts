import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import sharp from 'sharp';
import { storeStampJob } from '../../services/stamp-store';
import { stampJob } from '../../workflows';
import { LineUserIdKey, WorkKindKey } from '../../config/task-queues';
import {
  refundSourceRef,
  stampJobPrefix,
  stampJobWorkflowId,
  uploadKey,
} from '../../domain/stamp-keys';
import {
  availableTickets,
  createQueuedJob,
  createStampUser,
  expectCompleteSet,
  startJob,
  startStampHarness,
  type StampHarness,
} from './stamp-fixtures';

/**
 * The stamp job workflow on a real worker, Temporal, PostgreSQL and MinIO, with real sharp and
 * exifr on a JPEG carrying EXIF (camera, date, orientation 6) and GPS.
 */
describe('stamp job workflow', () => {
  let h: StampHarness;

  beforeAll(async () => {
    h = await startStampHarness('stamp-job');
  });
  afterAll(async () => {
    await h.stop();
  });

  it('consumes one ticket, keeps safe EXIF (never GPS), renders, stores, records and delivers', async () => {
    const user = await createStampUser(h.db, 2);
    const messages = ['ありがとう', 'おつかれさま', 'OK!', 'よろしくお願いします'];
    const queueId = await createQueuedJob(h, user.id, messages);
    const handle = await startJob(h, { queueId, lineUserId: user.lineUserId, deliver: 'line' });
    const result = await handle.result();
    expect(result).toEqual({
      queueId,
      status: 'completed',
      stickers: 4,
      delivered: true,
    });

    const queue = await h.db.lineStampGenerateQueue.findUniqueOrThrow({
      where: { id: queueId },
      include: { consumption: true, images: true },
    });
    expect(queue.status).toBe('completed');
    expect(queue.consumedAt).toBeInstanceOf(Date);
    expect(queue.workflowId).toBe(stampJobWorkflowId(queueId));
    expect(queue.consumption?.deletedAt).toBeNull();
    expect(await availableTickets(h.db, user.id)).toBe(1);
    expect(queue.imageExif).toEqual({
      make: 'Canon',
      model: 'Canon EOS R5',
      dateTimeOriginal: '2024-05-01T12:34:56+09:00',
      orientation: 6,
      width: 640,
      height: 480,
    });
    // Not a trace of location anywhere in the row.
    expect(JSON.stringify(queue)).not.toMatch(/gps|latitude|longitude|139\b|35\/1/i);

    // line_stamp_images: one per sticker (bound to its message) + main, tab, zip.
    const byKind = (k: string) => queue.images.filter((i) => i.kind === k);
    expect(byKind('sticker')).toHaveLength(4);
    expect(byKind('main')).toHaveLength(1);
    expect(byKind('tab')).toHaveLength(1);
    expect(byKind('zip')).toHaveLength(1);
    const msgs = await h.db.lineStampGenerateQueueMessage.findMany({
      where: { lineStampGenerateQueueId: queueId },
      orderBy: { orderPriority: 'asc' },
    });
    expect(msgs.map((m) => [m.orderPriority, m.message])).toEqual(
      messages.map((m, i) => [i + 1, m]),
    );
    for (const img of byKind('sticker')) {
      const m = msgs.find((x) => x.id === img.lineStampGenerateQueueMessageId);
      expect(img.imageUri).toBe(`${stampJobPrefix(user.id, queueId)}0${m?.orderPriority}.png`);
    }

    // Every file exists in S3, passes LINE's rules and carries no metadata; the upload with its
    // GPS is gone, replaced by the oriented base (orientation 6: 640×480 stored → portrait).
    await expectCompleteSet(h, user.id, queueId, 4);
    expect(await h.objects.exists(uploadKey(user.id, queueId, 'jpeg'))).toBe(false);

    // Delivered on LINE: a push with the ZIP link, the main image and the preview sheet, then
    // one with the 4 stickers as image messages.
    const pushes = h.line.received({ userId: user.lineUserId, kind: 'push' });
    expect(pushes).toHaveLength(2);
    expect(pushes[1]!.messages!.map((m) => m.type)).toEqual(['image', 'image', 'image', 'image']);
    expect(String(pushes[1]!.messages![3]?.originalContentUrl)).toContain('04.png');
    const [text, mainImage, sheet] = pushes[0]!.messages!;
    expect(text?.text).toContain('スタンプが4個できました');
    expect(text?.text).toContain('stickers.zip');
    expect(mainImage).toMatchObject({ type: 'image' });
    expect(String(mainImage?.originalContentUrl)).toContain('main.png');
    expect(String(sheet?.originalContentUrl)).toContain('preview.jpg');
    // The presigned link really downloads the ZIP.
    const zipUrl = /https?:\/\/\S+/.exec(text!.text!)![0];
    const download = await fetch(zipUrl);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-disposition')).toContain('stickers.zip');

    const desc = await handle.describe();
    expect(desc.typedSearchAttributes.get(LineUserIdKey)).toBe(user.lineUserId);
    expect(desc.typedSearchAttributes.get(WorkKindKey)).toBe('stamp');

    // Running the finished job again (another workflow ID) consumes nothing and changes nothing.
    const again = await h.temporal.workflow.execute(stampJob, {
      taskQueue: h.stampQueue,
      workflowId: `again-${queueId}`,
      args: [{ queueId, deliver: 'none' }],
    });
    expect(again).toEqual({ queueId, status: 'failed', reason: 'NOT_RUNNABLE:completed' });
    expect(await availableTickets(h.db, user.id)).toBe(1);
    expect(
      (await h.db.lineStampGenerateQueue.findUniqueOrThrow({ where: { id: queueId } })).status,
    ).toBe('completed');
  });

  it('with no ticket: replies with the buy hint (no checkout session), fails the queue with NO_TICKET, nothing else', async () => {
    const user = await createStampUser(h.db, 0);
    const queueId = await createQueuedJob(h, user.id, ['はい']);
    const result = await (
      await startJob(h, { queueId, lineUserId: user.lineUserId, deliver: 'line' })
    ).result();
    expect(result).toEqual({ queueId, status: 'failed', reason: 'NO_TICKET' });
    const queue = await h.db.lineStampGenerateQueue.findUniqueOrThrow({
      where: { id: queueId },
      include: { consumption: true, images: true },
    });
    expect(queue).toMatchObject({ status: 'failed', failureReason: 'NO_TICKET', consumedAt: null });
    expect(queue.consumption).toBeNull();
    expect(queue.images).toEqual([]);
    // The photo (with its GPS) is gone: the refused job never runs (issue #13).
    expect(await h.objects.list(stampJobPrefix(user.id, queueId))).toEqual([]);
    const texts = h.line.textsFor(user.lineUserId);
    expect(texts).toHaveLength(1);
    expect(texts[0]).toContain('スタンプチケットがありません');
    // A refusal opens no Checkout session: it says to send 「購入」 (issue #13).
    expect(texts[0]).toContain('「購入」');
    expect(texts[0]).not.toMatch(/https?:\/\//);
  });

  it('consumes exactly one ticket per job: two jobs, one ticket → one completes, one NO_TICKET', async () => {
    const user = await createStampUser(h.db, 1);
    const q1 = await createQueuedJob(h, user.id, ['いち']);
    const q2 = await createQueuedJob(h, user.id, ['に']);
    const [r1, r2] = await Promise.all(
      [q1, q2].map(async (queueId) =>
        (await startJob(h, { queueId, lineUserId: user.lineUserId, deliver: 'none' })).result(),
      ),
    );
    expect([r1?.status, r2?.status].sort()).toEqual(['completed', 'failed']);
    expect(await h.db.lineStampTicketConsumption.count({ where: { userId: user.id } })).toBe(1);
    expect(await availableTickets(h.db, user.id)).toBe(0);
    expect(h.line.received({ userId: user.lineUserId })).toEqual([]);
  });

  it('gives the ticket back when a message cannot be rendered (permanent failure)', async () => {
    const user = await createStampUser(h.db, 1);
    // Intake refuses private-use characters (no font draws them); written directly here to make rendering fail for good.
    const queueId = await createQueuedJob(h, user.id, ['ふつう', 'しよう\uE000', 'ふつう2']);
    const handle = await startJob(h, { queueId, lineUserId: user.lineUserId, deliver: 'line' });
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(String((err as WorkflowFailedError).cause?.message)).toContain('STICKER_RENDER_FAILED');

    const queue = await h.db.lineStampGenerateQueue.findUniqueOrThrow({
      where: { id: queueId },
      include: { consumption: true, images: true },
    });
    expect(queue.status).toBe('failed');
    expect(queue.failureReason).toContain('STICKER_RENDER_FAILED');
    expect(queue.consumedAt).toBeNull();
    expect(queue.images).toEqual([]);
    // Refund: the consumption is soft-deleted, a replacement ticket was created with it.
    expect(queue.consumption?.deletedAt).toBeInstanceOf(Date);
    const replacement = await h.db.lineStampTicket.findMany({
      where: { userId: user.id, sourceRef: refundSourceRef(queueId) },
    });
    expect(replacement).toHaveLength(1);
    expect(await availableTickets(h.db, user.id)).toBe(1);
    // Partial output deleted; the user told.
    expect(await h.objects.list(stampJobPrefix(user.id, queueId))).toEqual([]);
    expect(h.line.textsFor(user.lineUserId)).toEqual([
      expect.stringContaining('チケットはお返ししました'),
    ]);
    // The failed message was not retried (permanent), the others were not re-rendered.
    const history = await handle.fetchHistory();
    const renderAttempts = history.events!.filter(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'renderStampStickers',
    );
    expect(renderAttempts).toHaveLength(1);
  });

  it('gives the ticket back when the photo disappeared from S3 under the job', async () => {
    const user = await createStampUser(h.db, 1);
    const queueId = await createQueuedJob(h, user.id, ['あ', 'い']);
    await h.objects.delete(uploadKey(user.id, queueId, 'jpeg'));
    const handle = await startJob(h, { queueId, lineUserId: user.lineUserId, deliver: 'none' });
    await expect(handle.result()).rejects.toThrow(WorkflowFailedError);
    const queue = await h.db.lineStampGenerateQueue.findUniqueOrThrow({
      where: { id: queueId },
      include: { consumption: true },
    });
    expect(queue.status).toBe('failed');
    expect(queue.failureReason).toContain('BASE_IMAGE_MISSING');
    expect(queue.consumption?.deletedAt).toBeInstanceOf(Date);
    expect(await availableTickets(h.db, user.id)).toBe(1);
    // Refunding again (a retried compensation) changes nothing.
    const again = await h.db.lineStampTicket.count({
      where: { sourceRef: refundSourceRef(queueId) },
    });
    expect(again).toBe(1);
  });

  it('records the size of a photo without EXIF (a PNG), and renders it', async () => {
    const user = await createStampUser(h.db, 1);
    const png = await sharp({
      create: {
        width: 300,
        height: 200,
        channels: 4,
        background: { r: 0, g: 128, b: 255, alpha: 0.5 },
      },
    })
      .png()
      .toBuffer();
    const queueId = randomUUID();
    await storeStampJob(h.db, h.objects, {
      queueId,
      userId: user.id,
      image: png,
      format: 'png',
      messages: ['とうめい'],
      source: 'http',
    });
    const result = await (
      await startJob(h, { queueId, lineUserId: user.lineUserId, deliver: 'none' })
    ).result();
    expect(result.status).toBe('completed');
    const queue = await h.db.lineStampGenerateQueue.findUniqueOrThrow({ where: { id: queueId } });
    expect(queue.imageExif).toEqual({ width: 300, height: 200 });
    await expectCompleteSet(h, user.id, queueId, 1);
  });

  it('does not run a queue that is not queued, and consumes nothing for it', async () => {
    const user = await createStampUser(h.db, 1);
    const queueId = await createQueuedJob(h, user.id, ['あ']);
    await h.db.lineStampGenerateQueue.update({
      where: { id: queueId },
      data: { status: 'cancelled' },
    });
    const result = await (
      await startJob(h, { queueId, lineUserId: user.lineUserId, deliver: 'none' })
    ).result();
    expect(result).toEqual({ queueId, status: 'failed', reason: 'NOT_RUNNABLE:cancelled' });
    expect(await availableTickets(h.db, user.id)).toBe(1);
  });
});
