import { randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import sharp from 'sharp';
import { findQuestionPhoto } from '../../activities/chat-vision';
import { TaskQueues } from '../../config/task-queues';
import {
  IMAGE_GONE_TEXT,
  NO_PHOTO_TO_ASK_ABOUT_TEXT,
  IMAGE_QUESTION_PROMPT,
  IMAGE_QUESTION_TEXT,
  VISION_MAX_SIDE,
} from '../../domain/image-question';
import { priceUsage } from '../../domain/pricing';
import type { Ledger } from '../../ledger';
import { createStampObjects } from '../../services/stamp-objects';
import type { LineMessage } from '../../stand-ins';
import type { ChatTurnResult } from '../../workflows/chat-turn';
import { chatTurnId } from '../../workflows/support/ids';
import { startChatHarness, type ChatHarness } from '../support/chat-harness';
import { lineMessagesErrors } from '../support/line-openapi';
import { PHOTO_QUICK_REPLY_LABELS } from '../support/photo-reply';
import { imageEvent, textEvent } from '../support/line-webhook';
import { createTestUser, testLedger } from '../support/users';
import { startWorker, waitFor, type RunningWorker } from '../support/workers';

/**
 * A question about a photo (issue #14 item 5): the photo's acknowledgement offers the sticker
 * looks and 「この画像について質問」; the tap switches the waiting photo to question mode (free
 * prompt), and each text after it is a chat turn on the plan's vision tier with the photo sent
 * as an image content part, charged by the usage the provider reports. The photo never enters
 * the workflow history: the model step loads it from S3. The real API, session, turn and stamp
 * workflows, workers, Temporal, PostgreSQL and MinIO; LINE and the LLM are the stand-ins.
 */
describe('questions about a photo', () => {
  let h: ChatHarness;
  let stampWorker: RunningWorker;
  let ledger: Ledger;

  beforeAll(async () => {
    h = await startChatHarness('chat-vision');
    stampWorker = await startWorker(h.config, TaskQueues.stamp);
    ledger = testLedger(h.db, h.config);
  });
  afterAll(async () => {
    await stampWorker?.stop();
    await h?.stop();
  });
  afterEach(() => {
    for (const record of h.line.received()) {
      if (record.messages) expect(lineMessagesErrors(record.messages)).toEqual([]);
    }
  });

  const catalog = () => h.config.catalog;
  const visionTier = (plan: string) => catalog().modelTiers[catalog().plans[plan]!.visionTier!]!;

  /** A noisy photo: its JPEG stays large however it is scaled, so a copy in history would show. */
  async function noisyPhoto(width: number, height: number): Promise<Buffer> {
    const raw = Buffer.alloc(width * height * 3);
    for (let i = 0; i < raw.length; i++) raw[i] = (i * 7919 + ((i * i) % 251)) & 0xff;
    return sharp(raw, { raw: { width, height, channels: 3 } })
      .jpeg({ quality: 92 })
      .toBuffer();
  }

  async function send(event: unknown) {
    expect((await h.send([event])).status).toBe(200);
  }
  async function sendPhoto(lineUserId: string, bytes: Buffer) {
    const messageId = `${Date.now()}${Math.floor(Math.random() * 1000)}`;
    h.line.putContent(messageId, bytes, 'image/jpeg');
    await send(
      imageEvent(lineUserId, messageId, {
        replyToken: h.line.issueReplyToken({ userId: lineUserId }),
      }),
    );
  }
  async function say(lineUserId: string, text: string) {
    const event = textEvent(lineUserId, text, {
      replyToken: h.line.issueReplyToken({ userId: lineUserId }),
    });
    await send(event);
    return event;
  }
  const messagesFor = (lineUserId: string, n: number) =>
    waitFor(
      async () => h.line.messagesFor(lineUserId).length >= n && h.line.messagesFor(lineUserId),
      `${n} messages`,
      60_000,
    );
  const turnResult = (webhookEventId: string): Promise<ChatTurnResult> =>
    h.temporal.workflow.getHandle(chatTurnId(webhookEventId)).result();
  const quickReplyActions = (m: LineMessage | undefined) =>
    (
      (m?.quickReply as { items?: Array<{ action: Record<string, string> }> } | undefined)?.items ??
      []
    ).map((i) => i.action);
  type Part = { type: string; text?: string; image_url?: { url: string } };
  const lastUserContent = (r: { messages?: Array<{ role: string; content: unknown }> }) =>
    r.messages?.filter((m) => m.role === 'user').at(-1)?.content;
  const requestsAsking = (text: string) =>
    h.llm.requests().filter((r) => {
      const content = lastUserContent(r);
      return Array.isArray(content)
        ? (content as Part[]).some((p) => p.type === 'text' && p.text === text)
        : content === text;
    });

  /** A photo, its acknowledgement and the tap on 「この画像について質問」, answered by the prompt. */
  async function photoInQuestionMode(lineUserId: string, photo: Buffer) {
    await sendPhoto(lineUserId, photo);
    const [ack] = await messagesFor(lineUserId, 1);
    await say(lineUserId, IMAGE_QUESTION_TEXT);
    const [, prompt] = await messagesFor(lineUserId, 2);
    return { ack: ack!, prompt: prompt! };
  }

  it('asks the vision tier with the photo as an image part, charges the reported usage, keeps the image out of history', async () => {
    const user = await createTestUser(h.db, ledger, { points: 100, planId: 'basic' });
    const { ack, prompt } = await photoInQuestionMode(
      user.lineUserId,
      await noisyPhoto(1600, 1200),
    );

    // The acknowledgement: both ways on, as quick replies LINE accepts.
    expect(lineMessagesErrors([ack])).toEqual([]);
    const actions = quickReplyActions(ack);
    expect(actions.map((a) => a.label)).toEqual(PHOTO_QUICK_REPLY_LABELS);
    expect(actions.length).toBeLessThanOrEqual(13);
    expect(actions[4]).toMatchObject({ type: 'message', text: IMAGE_QUESTION_TEXT });
    expect(ack.text).toContain('スタンプにする言葉');
    expect(ack.text).toContain('この画像について質問');

    // The tap: a free prompt, no model, no charge.
    expect(prompt.text).toBe(IMAGE_QUESTION_PROMPT);
    expect(h.llm.requests()).toHaveLength(0);

    const event = await say(user.lineUserId, 'これは何ですか？');
    const [, , answer] = await messagesFor(user.lineUserId, 3);
    const result = await turnResult(event.webhookEventId);
    expect(result).toMatchObject({ outcome: 'answered' });

    const [request, ...more] = requestsAsking('これは何ですか？');
    expect(more).toEqual([]);
    expect(request?.model).toBe(visionTier('basic').model);
    const parts = lastUserContent(request!) as Part[];
    expect(parts.map((p) => p.type)).toEqual(['text', 'image_url']);
    const url = parts[1]!.image_url!.url;
    expect(url).toMatch(/^data:image\/jpeg;base64,/);
    const sent = Buffer.from(url.slice(url.indexOf(',') + 1), 'base64');
    const meta = await sharp(sent).metadata();
    expect(meta.format).toBe('jpeg');
    expect(Math.max(meta.width!, meta.height!)).toBeLessThanOrEqual(VISION_MAX_SIDE);
    expect([meta.width, meta.height]).toEqual([1024, 768]);
    expect(meta.exif).toBeUndefined();
    // The stand-in saw the image whole (its size) and counted its tokens in the usage.
    expect(request?.images).toEqual([
      expect.objectContaining({ format: 'jpeg', width: 1024, height: 768, tokens: 765 }),
    ]);
    expect(answer?.text).toContain('[画像 1024×768]');
    expect(request!.reply!.usage.prompt_tokens).toBeGreaterThan(765);

    // Charged per the catalog from the provider's reported usage: in and out.
    const usage = request!.reply!.usage;
    const priced = priceUsage({
      tier: visionTier('basic'),
      rates: catalog().rates,
      inputTokens: usage.prompt_tokens,
      outputTokens: usage.completion_tokens,
      searchCount: 0,
    });
    const turnId = chatTurnId(event.webhookEventId);
    const records = await h.db.usageRecord.findMany({ where: { turnId } });
    expect(records.map((r) => r.ioType).sort()).toEqual(['in', 'out']);
    expect(records.find((r) => r.ioType === 'in')?.tokens).toBe(usage.prompt_tokens);
    expect(records.every((r) => r.model === visionTier('basic').model)).toBe(true);
    expect(result.pointsCharged).toBe(priced.points);
    expect((await ledger.getBalance(user.id)).balance).toBe(100 - priced.points);
    expect((await ledger.getUsage(user.id)).remainingCount).toBe(
      catalog().plans.basic!.dailyChatLimit - 1,
    );
    // Archived as text with a marker, never the image.
    const archive = await h.db.chatArchive.findMany({ where: { turnId } });
    expect(archive.find((a) => a.role === 'user')?.content).toBe('[画像] これは何ですか？');
    expect(JSON.stringify(archive)).not.toContain('base64');
    expect(await ledger.replayCheck(user.id)).toEqual([]);

    // The turn's history holds the photo's queue ID, not the photo (hundreds of KB as a data URL).
    expect(sent.length).toBeGreaterThan(150_000);
    const history = await h.temporal.workflow.getHandle(turnId).fetchHistory();
    const bytes = Buffer.from(temporal.api.history.v1.History.encode(history).finish());
    expect(bytes.length).toBeLessThan(60_000);
    expect(bytes.includes('data:image')).toBe(false);

    // A follow-up question is about the same photo.
    const again = await say(user.lineUserId, '色は何色？');
    await messagesFor(user.lineUserId, 4);
    expect(await turnResult(again.webhookEventId)).toMatchObject({ outcome: 'answered' });
    const [followUp] = requestsAsking('色は何色？');
    expect(followUp?.images).toHaveLength(1);
    // The earlier question is history, as text.
    expect(JSON.stringify(followUp?.messages)).toContain('[画像] これは何ですか？');
  });

  it("only the photo's own user reaches it, only while it waits", async () => {
    const user = await createTestUser(h.db, ledger, { points: 100, planId: 'basic' });
    const other = await createTestUser(h.db, ledger, { points: 100, planId: 'basic' });
    await photoInQuestionMode(user.lineUserId, await noisyPhoto(320, 240));
    const row = await h.db.lineStampGenerateQueue.findFirstOrThrow({ where: { userId: user.id } });
    const deps = {
      db: h.db,
      clock: h.worker.deps.clock,
      photos: createStampObjects(h.worker.deps.s3, h.config.env.S3_BUCKET),
    };
    expect(await findQuestionPhoto(deps, user.lineUserId, row.id)).toEqual({ key: row.imageUri });
    expect(await findQuestionPhoto(deps, other.lineUserId, row.id)).toBeNull();
    expect(await findQuestionPhoto(deps, user.lineUserId, 'not-a-uuid')).toBeNull();
    await say(user.lineUserId, 'キャンセル');
    await waitFor(
      async () => (await findQuestionPhoto(deps, user.lineUserId, row.id)) === null,
      'the cancelled photo out of reach',
    );
  });

  it('a plan without vision: refused with the plans that have it, nothing charged', async () => {
    const user = await createTestUser(h.db, ledger, { points: 100 });
    await photoInQuestionMode(user.lineUserId, await noisyPhoto(320, 240));
    const event = await say(user.lineUserId, 'これは何？');
    const [, , refusal] = await messagesFor(user.lineUserId, 3);
    const result = await turnResult(event.webhookEventId);
    expect(result).toMatchObject({ outcome: 'rejected', errorCode: 'PLAN_RESTRICTION' });
    expect(refusal?.text).toContain(
      catalog().messages.visionNotInPlan.replaceAll('{plan}', catalog().plans.free!.name),
    );
    expect(refusal?.text).toContain(catalog().messages.visionUpgradeOffer);
    const withVision = Object.entries(catalog().products).flatMap(([id, p]) =>
      p.kind === 'subscription' && catalog().plans[p.plan]?.visionTier
        ? [`action=buy&product=${id}`]
        : [],
    );
    expect(withVision.length).toBeGreaterThan(0);
    const postbacks = quickReplyActions(refusal).filter((a) => a.type === 'postback');
    expect(postbacks.map((a) => a.data).sort()).toEqual(withVision.sort());

    expect(requestsAsking('これは何？')).toEqual([]);
    const turnId = chatTurnId(event.webhookEventId);
    expect(await h.db.pointReservation.count({ where: { turnId } })).toBe(0);
    expect(await h.db.usageRecord.count({ where: { turnId } })).toBe(0);
    expect((await ledger.getBalance(user.id)).balance).toBe(100);
  });

  it('a photo gone (purged) gets a free reply saying so; キャンセル then ends it', async () => {
    const user = await createTestUser(h.db, ledger, { points: 100, planId: 'basic' });
    await photoInQuestionMode(user.lineUserId, await noisyPhoto(320, 240));
    const row = await h.db.lineStampGenerateQueue.findFirstOrThrow({ where: { userId: user.id } });
    // Purged behind the session's back (its deadline is later): the object is gone.
    await h.worker.deps.s3.send(
      new (await import('@aws-sdk/client-s3')).DeleteObjectCommand({
        Bucket: h.config.env.S3_BUCKET,
        Key: row.imageUri,
      }),
    );
    const event = await say(user.lineUserId, 'これは何？');
    const [, , gone] = await messagesFor(user.lineUserId, 3);
    expect(gone?.text).toBe(IMAGE_GONE_TEXT);
    expect(await turnResult(event.webhookEventId)).toMatchObject({
      outcome: 'rejected',
      errorCode: 'IMAGE_GONE',
    });
    expect(requestsAsking('これは何？')).toEqual([]);
    const turnId = chatTurnId(event.webhookEventId);
    expect(await h.db.pointReservation.count({ where: { turnId } })).toBe(0);
    expect((await ledger.getBalance(user.id)).balance).toBe(100);

    // The session keeps the photo until its deadline (its timer cleans up): キャンセル ends it,
    // and the next text is plain chat on the plan's tier, without an image.
    await say(user.lineUserId, 'キャンセル');
    await messagesFor(user.lineUserId, 4);
    await say(user.lineUserId, 'ふつうの質問');
    await messagesFor(user.lineUserId, 5);
    const [plain] = requestsAsking('ふつうの質問');
    expect(plain?.images).toBeUndefined();
    expect(plain?.model).toBe(catalog().modelTiers[catalog().plans.basic!.modelTier]!.model);
  });

  it('a photo gone during the model step: the hold released, a free reply saying so', async () => {
    const user = await createTestUser(h.db, ledger, { points: 100, planId: 'basic' });
    await photoInQuestionMode(user.lineUserId, await noisyPhoto(320, 240));
    const row = await h.db.lineStampGenerateQueue.findFirstOrThrow({ where: { userId: user.id } });
    // The first call is slow and then fails (retried); meanwhile the photo is purged.
    const before = h.llm.requests().length;
    h.llm.setLatency(1500);
    h.llm.failNext(500, 1);
    try {
      const event = await say(user.lineUserId, '何が写っている？');
      await h.llm.waitForRequests(before + 1, 30_000);
      await h.worker.deps.s3.send(
        new (await import('@aws-sdk/client-s3')).DeleteObjectCommand({
          Bucket: h.config.env.S3_BUCKET,
          Key: row.imageUri,
        }),
      );
      const [, , gone] = await messagesFor(user.lineUserId, 3);
      expect(gone?.text).toBe(IMAGE_GONE_TEXT);
      const result = await turnResult(event.webhookEventId);
      expect(result).toMatchObject({ outcome: 'rejected', errorCode: 'IMAGE_GONE' });
      expect(result.summary).toContain('hold released');
      const turnId = chatTurnId(event.webhookEventId);
      expect(await h.db.usageRecord.count({ where: { turnId } })).toBe(0);
      expect((await ledger.getBalance(user.id)).balance).toBe(100);
      expect((await ledger.getUsage(user.id)).remainingCount).toBe(
        catalog().plans.basic!.dailyChatLimit,
      );
    } finally {
      h.llm.setLatency(0);
    }
  });

  it('a photo past its deadline in the database is gone too', async () => {
    const user = await createTestUser(h.db, ledger, { points: 100, planId: 'basic' });
    await photoInQuestionMode(user.lineUserId, await noisyPhoto(320, 240));
    await h.db.lineStampGenerateQueue.updateMany({
      where: { userId: user.id },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const event = await say(user.lineUserId, 'これは何？');
    const [, , gone] = await messagesFor(user.lineUserId, 3);
    expect(gone?.text).toBe(IMAGE_GONE_TEXT);
    expect(await turnResult(event.webhookEventId)).toMatchObject({ errorCode: 'IMAGE_GONE' });
    expect((await ledger.getBalance(user.id)).balance).toBe(100);
  });

  it('a look switches back to the sticker, whose texts then make the set', async () => {
    const user = await createTestUser(h.db, ledger, { points: 100, planId: 'basic' });
    await h.db.lineStampTicket.create({
      data: { userId: user.id, sourceRef: `test:${randomUUID()}` },
    });
    await photoInQuestionMode(user.lineUserId, await noisyPhoto(640, 480));
    await say(user.lineUserId, 'スタイル:ふきだし');
    const preview = await waitFor(
      async () => h.line.messagesFor(user.lineUserId).find((m) => m.type === 'image'),
      'the preview of the chosen look',
      60_000,
    );
    expect(preview).toBeDefined();
    await say(user.lineUserId, 'ありがとう\nよろしくね');
    const queued = await waitFor(
      async () =>
        h.db.lineStampGenerateQueue.findFirst({
          where: { userId: user.id, status: { not: 'awaiting_messages' } },
        }),
      'the set to be queued',
      60_000,
    );
    expect(queued.style).toMatchObject({ look: 'bubble' });
    expect(h.llm.requests().some((r) => JSON.stringify(r.messages).includes('よろしくね'))).toBe(
      false,
    );
  });

  it('「この画像について質問」 with no photo waiting: a free hint to send one, no turn', async () => {
    const user = await createTestUser(h.db, ledger, { points: 100, planId: 'basic' });
    await say(user.lineUserId, IMAGE_QUESTION_TEXT);
    const [hint] = await messagesFor(user.lineUserId, 1);
    expect(hint?.text).toBe(NO_PHOTO_TO_ASK_ABOUT_TEXT);
    expect(requestsAsking(IMAGE_QUESTION_TEXT)).toEqual([]);
    expect((await ledger.getUsage(user.id)).remainingCount).toBe(
      catalog().plans.basic!.dailyChatLimit,
    );
  });

  it('a new photo starts over in sticker mode: its next text is sticker texts, not a question', async () => {
    const user = await createTestUser(h.db, ledger, { points: 100, planId: 'basic' });
    await photoInQuestionMode(user.lineUserId, await noisyPhoto(320, 240));
    await sendPhoto(user.lineUserId, await noisyPhoto(400, 300));
    await messagesFor(user.lineUserId, 3);
    await say(user.lineUserId, 'おはよう');
    await messagesFor(user.lineUserId, 4);
    // No ticket: the sticker intake keeps the new photo waiting and says so; no model call.
    expect(requestsAsking('おはよう')).toEqual([]);
    const rows = await h.db.lineStampGenerateQueue.findMany({
      where: { userId: user.id },
      orderBy: { createdAt: 'asc' },
    });
    expect(rows.map((r) => r.status)).toEqual(['cancelled', 'awaiting_messages']);
  });

  it('キャンセル ends the question mode with the photo; the next text is plain chat', async () => {
    const user = await createTestUser(h.db, ledger, { points: 100, planId: 'basic' });
    await photoInQuestionMode(user.lineUserId, await noisyPhoto(320, 240));
    await say(user.lineUserId, 'キャンセル');
    await messagesFor(user.lineUserId, 3);
    await waitFor(
      async () =>
        (await h.db.lineStampGenerateQueue.findFirst({ where: { userId: user.id } }))?.status ===
        'cancelled',
      'the photo cancelled',
    );
    await say(user.lineUserId, 'これは何？');
    await messagesFor(user.lineUserId, 4);
    const [plain] = requestsAsking('これは何？');
    expect(plain?.images).toBeUndefined();
    expect(typeof lastUserContent(plain!)).toBe('string');
  });
});
