import { randomUUID } from 'node:crypto';
import {
  WorkflowNotFoundError,
  type WorkflowHandle,
  type WorkflowStartOptions,
} from '@temporalio/client';
import type { Workflow, WorkflowResultType } from '@temporalio/common';
import { stampJobWorkflowId, stampPhotoExpiryWorkflowId, uploadKey } from '../../domain/stamp-keys';
import {
  stampJob,
  lineUserSession,
  stampPhotoCancel,
  stampPhotoIntake,
  stampTextsIntake,
  type StampPhotoEvent,
  type StampTextEvent,
} from '../../workflows';
import { pngBomb } from '../unit/sticker-fixtures';
import {
  addTickets,
  availableTickets,
  createStampUser,
  expectCompleteSet,
  gpsPhoto,
  stampFootprint,
  startStampHarness,
  userObjects,
  type StampHarness,
} from './stamp-fixtures';
import { waitFor } from '../support/workers';

/**
 * The LINE intake workflows, started directly with the Temporal client on the chat task queue
 * (as the LINE session's children run), with the LINE stand-in serving the image content and
 * receiving the replies. Their activities run on the stamp queue.
 */
describe('stamp intake from LINE', () => {
  let h: StampHarness;

  beforeAll(async () => {
    h = await startStampHarness('stamp-intake', { workers: ['stamp', 'chat'] });
  });
  afterAll(async () => {
    await h.stop();
  });

  let seq = 0;
  function imageEvent(lineUserId: string, messageId: string): StampPhotoEvent {
    return {
      type: 'image',
      webhookEventId: `01TEST${randomUUID()}`,
      lineUserId,
      timestamp: Date.now(),
      isRedelivery: false,
      replyToken: h.line.issueReplyToken({ userId: lineUserId }),
      messageId,
      contentProvider: 'line',
    };
  }
  function textEvent(lineUserId: string, text: string): StampTextEvent {
    return {
      type: 'text',
      webhookEventId: `01TEST${randomUUID()}`,
      lineUserId,
      timestamp: Date.now(),
      isRedelivery: false,
      replyToken: h.line.issueReplyToken({ userId: lineUserId }),
      text,
      messageId: String(++seq),
    };
  }
  function run<W extends Workflow>(
    workflow: W,
    args: Parameters<W>,
  ): Promise<WorkflowResultType<W>> {
    const options = { taskQueue: h.chatQueue, workflowId: `test-${randomUUID()}`, args };
    return h.temporal.workflow.execute(workflow, options as unknown as WorkflowStartOptions<W>);
  }

  async function sendPhoto(lineUserId: string, bytes: Buffer, contentType = 'image/jpeg') {
    const messageId = String(Date.now()) + String(++seq);
    h.line.putContent(messageId, bytes, contentType);
    return run(stampPhotoIntake, [imageEvent(lineUserId, messageId)]);
  }
  const lastText = (lineUserId: string) => h.line.textsFor(lineUserId).at(-1) ?? '';
  /** The former separate expiry workflow: the LINE session keeps the deadline instead. */
  async function expectNoTimerWorkflow(queueId: string) {
    const timer = h.temporal.workflow.getHandle(stampPhotoExpiryWorkflowId(queueId));
    await expect(timer.describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  }

  it('photo → asks for texts → texts → job → delivered, end to end', async () => {
    const user = await createStampUser(h.db, 1);
    const photo = await sendPhoto(user.lineUserId, await gpsPhoto());
    expect(photo).toMatchObject({ accepted: true });
    if (!photo.accepted) throw new Error('unreachable');
    const ttl = h.config.catalog.stamp.pendingPhotoTtlMinutes * 60_000;
    expect(Math.abs(Date.parse(photo.expiresAt) - Date.now() - ttl)).toBeLessThan(60_000);
    const queue = await h.db.lineStampGenerateQueue.findUniqueOrThrow({
      where: { id: photo.queueId },
    });
    expect(queue).toMatchObject({
      status: 'awaiting_messages',
      source: 'line',
      imageType: 'image/jpeg',
    });
    expect(await h.objects.exists(uploadKey(user.id, photo.queueId, 'jpeg'))).toBe(true);
    // Replied with the reply token, asking for the texts.
    const reply = h.line.received({ userId: user.lineUserId, kind: 'reply' });
    expect(reply).toHaveLength(1);
    expect(lastText(user.lineUserId)).toContain('1行に1つずつ');
    // No timer workflow of its own: the LINE session keeps the deadline.
    await expectNoTimerWorkflow(photo.queueId);

    const texts = await run(stampTextsIntake, [
      {
        event: textEvent(user.lineUserId, 'ありがとう\n\nおつかれさま\nOK!\n'),
        queueId: photo.queueId,
      },
    ]);
    expect(texts).toEqual({
      started: true,
      pending: false,
      jobWorkflowId: stampJobWorkflowId(photo.queueId),
      queueId: photo.queueId,
    });
    expect(lastText(user.lineUserId)).toContain('3個作っています');
    const msgs = await h.db.lineStampGenerateQueueMessage.findMany({
      where: { lineStampGenerateQueueId: photo.queueId },
      orderBy: { orderPriority: 'asc' },
    });
    expect(msgs.map((m) => [m.orderPriority, m.message])).toEqual([
      [1, 'ありがとう'],
      [2, 'おつかれさま'],
      [3, 'OK!'],
    ]);

    const job: WorkflowHandle<typeof stampJob> = h.temporal.workflow.getHandle(
      texts.jobWorkflowId!,
    );
    expect(await job.result()).toMatchObject({ status: 'completed', stickers: 3, delivered: true });
    await expectCompleteSet(h, user.id, photo.queueId, 3);
    expect(await availableTickets(h.db, user.id)).toBe(0);
    const pushes = h.line.received({ userId: user.lineUserId, kind: 'push' });
    expect(pushes.at(-2)!.messages!.map((m) => m.type)).toEqual(['text', 'image', 'image']);
    // Then the 3 stickers themselves, as image messages.
    expect(pushes.at(-1)!.messages!.map((m) => m.type)).toEqual(['image', 'image', 'image']);
    await expectNoTimerWorkflow(photo.queueId);
  });

  it('refuses what is not a usable photo, replying why and keeping nothing', async () => {
    const user = await createStampUser(h.db, 1);
    const cases: Array<[Buffer, string, RegExp]> = [
      [Buffer.from('this is not an image at all'), 'text/plain', /画像として読み込めません/],
      [(await gpsPhoto()).subarray(0, 3000), 'image/jpeg', /壊れている|途中で切れて/],
      [pngBomb(), 'image/png', /画素数が多すぎます/],
      [Buffer.alloc(h.config.catalog.stamp.maxUploadBytes + 1, 0xff), 'image/jpeg', /大きすぎます/],
    ];
    for (const [bytes, type, reason] of cases) {
      const result = await sendPhoto(user.lineUserId, bytes, type);
      expect(result).toMatchObject({ accepted: false });
      expect(lastText(user.lineUserId)).toMatch(reason);
    }
    const external = await run(stampPhotoIntake, [
      { ...imageEvent(user.lineUserId, 'ext-1'), contentProvider: 'external' },
    ]);
    expect(external).toEqual({ accepted: false, reason: 'EXTERNAL_CONTENT' });
    const gone = await run(stampPhotoIntake, [imageEvent(user.lineUserId, 'never-uploaded')]);
    expect(gone).toEqual({ accepted: false, reason: 'CONTENT_GONE' });

    expect(await stampFootprint(h.db, user.id)).toEqual({
      queues: 0,
      messages: 0,
      images: 0,
      consumptions: 0,
      tickets: 1,
    });
    expect(await userObjects(h, user.id)).toEqual([]);
  });

  it('bad texts or no ticket: replies with the reason and keeps the photo pending', async () => {
    const user = await createStampUser(h.db, 0);
    const photo = await sendPhoto(user.lineUserId, await gpsPhoto());
    if (!photo.accepted) throw new Error('photo refused');
    const attempt = (text: string) =>
      run(stampTextsIntake, [{ event: textEvent(user.lineUserId, text), queueId: photo.queueId }]);

    const tooMany = await attempt(Array.from({ length: 41 }, (_, i) => `m${i}`).join('\n'));
    expect(tooMany).toEqual({
      started: false,
      pending: true,
      queueId: photo.queueId,
      reason: 'INVALID_MESSAGES',
    });
    expect(lastText(user.lineUserId)).toContain('41個');
    await attempt('ok\n' + 'あ'.repeat(17));
    expect(lastText(user.lineUserId)).toMatch(/2個目.*長すぎます/);
    await attempt('やったね\uE000');
    expect(lastText(user.lineUserId)).toContain('使えない文字');

    const noTicket = await attempt('ありがとう');
    expect(noTicket).toMatchObject({ started: false, pending: true, reason: 'NO_TICKET' });
    expect(lastText(user.lineUserId)).toContain('スタンプチケットがありません');
    expect(await stampFootprint(h.db, user.id)).toMatchObject({
      queues: 1,
      messages: 0,
      consumptions: 0,
    });
    expect(
      (await h.db.lineStampGenerateQueue.findUniqueOrThrow({ where: { id: photo.queueId } }))
        .status,
    ).toBe('awaiting_messages');

    // After buying a ticket, the same photo works (no queueId: the newest pending photo).
    await addTickets(h.db, user.id, 1);
    const ok = await run(stampTextsIntake, [{ event: textEvent(user.lineUserId, 'ありがとう') }]);
    expect(ok).toMatchObject({ started: true, queueId: photo.queueId });
    await h.temporal.workflow.getHandle(ok.jobWorkflowId!).result();
    await expectNoTimerWorkflow(photo.queueId);
  });

  it('without a pending photo says nothing and tells the caller', async () => {
    const user = await createStampUser(h.db, 1);
    const result = await run(stampTextsIntake, [
      { event: textEvent(user.lineUserId, 'こんにちは') },
    ]);
    expect(result).toEqual({ started: false, pending: false, reason: 'NO_PENDING_PHOTO' });
    expect(h.line.received({ userId: user.lineUserId })).toEqual([]);
  });

  it('cancel: the pending photo is cancelled and deleted; a new photo supersedes an old one', async () => {
    const user = await createStampUser(h.db, 1);
    const a = await sendPhoto(user.lineUserId, await gpsPhoto());
    const b = await sendPhoto(user.lineUserId, await gpsPhoto());
    if (!a.accepted || !b.accepted) throw new Error('photo refused');
    const old = await h.db.lineStampGenerateQueue.findUniqueOrThrow({ where: { id: a.queueId } });
    expect(old).toMatchObject({ status: 'cancelled', failureReason: 'SUPERSEDED' });

    const cancel = await run(stampPhotoCancel, [
      { event: textEvent(user.lineUserId, 'キャンセル') },
    ]);
    expect(cancel).toEqual({ cancelled: true, queueId: b.queueId });
    expect(lastText(user.lineUserId)).toContain('取り消しました');
    const row = await h.db.lineStampGenerateQueue.findUniqueOrThrow({ where: { id: b.queueId } });
    expect(row).toMatchObject({ status: 'cancelled', failureReason: 'CANCELLED_BY_USER' });
    expect(await userObjects(h, user.id)).toEqual([]);

    const again = await run(stampPhotoCancel, [
      { event: textEvent(user.lineUserId, 'キャンセル') },
    ]);
    expect(again).toEqual({ cancelled: false });
    expect(lastText(user.lineUserId)).toContain('取り消すスタンプ作成はありません');
    // No timer workflows to stop or to leave running.
    await expectNoTimerWorkflow(a.queueId);
    await expectNoTimerWorkflow(b.queueId);
  });

  it('a stale photo expires: by the session timer, and when texts arrive too late', async () => {
    const user = await createStampUser(h.db, 1);
    const a = await sendPhoto(user.lineUserId, await gpsPhoto());
    if (!a.accepted) throw new Error('photo refused');
    // Time passes: the deadline is moved into the past.
    await h.db.lineStampGenerateQueue.update({
      where: { id: a.queueId },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const late = await run(stampTextsIntake, [
      { event: textEvent(user.lineUserId, 'ありがとう'), queueId: a.queueId },
    ]);
    expect(late).toEqual({ started: false, pending: false, queueId: a.queueId, reason: 'EXPIRED' });
    expect(lastText(user.lineUserId)).toContain('受付時間が過ぎました');
    expect(
      (await h.db.lineStampGenerateQueue.findUniqueOrThrow({ where: { id: a.queueId } })).status,
    ).toBe('expired');

    // The LINE session that remembers the photo wakes at its deadline and expires it.
    const b = await sendPhoto(user.lineUserId, await gpsPhoto());
    if (!b.accepted) throw new Error('photo refused');
    const soon = new Date(Date.now() + 1500);
    await h.db.lineStampGenerateQueue.update({
      where: { id: b.queueId },
      data: { expiresAt: soon },
    });
    const pushesBefore = h.line.received({ userId: user.lineUserId, kind: 'push' }).length;
    const session = await h.temporal.workflow.start(lineUserSession, {
      taskQueue: h.chatQueue,
      workflowId: `test-session-${b.queueId}`,
      args: [
        user.lineUserId,
        {
          pending: [],
          seen: [],
          stampPhoto: { queueId: b.queueId, expiresAt: soon.toISOString() },
        },
      ],
    });
    await waitFor(
      async () => h.line.received({ userId: user.lineUserId, kind: 'push' }).length > pushesBefore,
      'the expiry notice',
    );
    await session.terminate();
    expect(lastText(user.lineUserId)).toContain('受付時間が過ぎました');
    expect(
      (await h.db.lineStampGenerateQueue.findUniqueOrThrow({ where: { id: b.queueId } })).status,
    ).toBe('expired');
    await expectNoTimerWorkflow(b.queueId);
    expect(await userObjects(h, user.id)).toEqual([]);
    expect(await stampFootprint(h.db, user.id)).toMatchObject({ consumptions: 0, tickets: 1 });
  });
});
