import { randomUUID } from 'node:crypto';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { TaskQueues } from '../../config/task-queues';
import type { Ledger } from '../../ledger';
import { STICKER_LOOKS, STYLE_PRESETS, type StickerLook } from '../../domain/sticker-style';
import { renderPreviewSheet } from '../../lib/stickers/preview';
import type { LineMessage } from '../../stand-ins';
import { startChatHarness, type ChatHarness } from '../support/chat-harness';
import { lineMessagesErrors } from '../support/line-openapi';
import { imageEvent, textEvent } from '../support/line-webhook';
import { createTestUser, testLedger } from '../support/users';
import { startWorker, waitFor, type RunningWorker } from '../support/workers';
import { photoJpeg } from '../unit/sticker-fixtures';

/**
 * The LINE intake of a stamp job end to end: a photo and then its texts arrive as signed
 * webhooks, the user's session routes them to the sticker intake, and the set comes back.
 */
describe('stamp job from LINE', () => {
  let h: ChatHarness;
  let stampWorker: RunningWorker;
  let ledger: Ledger;

  beforeAll(async () => {
    h = await startChatHarness('line-stamp');
    stampWorker = await startWorker(h.config, TaskQueues.stamp);
    ledger = testLedger(h.db, h.config);
  });
  afterAll(async () => {
    await stampWorker?.stop();
    await h?.stop();
  });

  async function send(event: unknown) {
    expect((await h.send([event])).status).toBe(200);
  }
  const texts = (lineUserId: string) => h.line.textsFor(lineUserId);
  const images = (lineUserId: string) =>
    h.line.messagesFor(lineUserId).filter((m) => m.type === 'image');

  async function sendPhoto(lineUserId: string, photo?: Buffer): Promise<Buffer> {
    const messageId = String(Date.now()) + Math.floor(Math.random() * 1000);
    const bytes = photo ?? (await photoJpeg({ width: 640, height: 480 }));
    h.line.putContent(messageId, bytes, 'image/jpeg');
    await send(
      imageEvent(lineUserId, messageId, {
        replyToken: h.line.issueReplyToken({ userId: lineUserId }),
      }),
    );
    return bytes;
  }
  const sendText = (lineUserId: string, text: string) =>
    send(
      textEvent(lineUserId, text, { replyToken: h.line.issueReplyToken({ userId: lineUserId }) }),
    );

  /** Mean absolute difference per channel of two same-sized images (0 = identical). */
  async function difference(a: Buffer, b: Buffer): Promise<number> {
    const [ra, rb] = await Promise.all(
      [a, b].map((x) => sharp(x).removeAlpha().raw().toBuffer({ resolveWithObject: true })),
    );
    expect([ra!.info.width, ra!.info.height]).toEqual([rb!.info.width, rb!.info.height]);
    let sum = 0;
    for (let i = 0; i < ra!.data.length; i++) sum += Math.abs(ra!.data[i]! - rb!.data[i]!);
    return sum / ra!.data.length;
  }
  const quickReplyTexts = (m: LineMessage | undefined) =>
    (
      (m?.quickReply as { items?: Array<{ action: { label: string; text: string } }> } | undefined)
        ?.items ?? []
    ).map((i) => i.action);

  it('offers the looks as quick replies, previews the chosen one from the photo, then makes the set in it', async () => {
    const user = await createTestUser(h.db, ledger, { points: 100 });
    await h.db.lineStampTicket.create({
      data: { userId: user.id, sourceRef: `test:${randomUUID()}` },
    });
    const photo = await sendPhoto(user.lineUserId, await photoJpeg({ width: 800, height: 600 }));
    const offer = await waitFor(
      async () => h.line.messagesFor(user.lineUserId).find((m) => m.quickReply),
      'the photo acknowledgement with quick replies',
    );
    expect(lineMessagesErrors([offer])).toEqual([]);
    const actions = quickReplyTexts(offer);
    expect(actions.map((a) => a.label)).toEqual([
      'カード',
      'まるぬき',
      'ふきだし',
      'でか文字',
      'この画像について質問',
      'キャンセル',
    ]);

    // The user taps 「ふきだし」: the button sends its text.
    await sendText(user.lineUserId, actions[2]!.text);
    const preview = await waitFor(
      async () => images(user.lineUserId)[0],
      'the preview sheet of the chosen look',
      60_000,
    );
    const answer = h.line.messagesFor(user.lineUserId).slice(-2);
    expect(answer[0]).toBe(preview);
    expect(lineMessagesErrors(answer)).toEqual([]);
    expect(answer[1]?.text).toContain('「ふきだし」のスタイルの見本です');
    expect(quickReplyTexts(answer[1]).map((a) => a.label)).toContain('✓ふきだし');

    // The sheet is a real image of the user's photo in that look (downloaded from MinIO), and
    // drawn in no other look.
    const res = await fetch(String(preview.originalContentUrl));
    expect(res.status).toBe(200);
    const sheet = Buffer.from(await res.arrayBuffer());
    expect((await sharp(sheet).metadata()).format).toBe('jpeg');
    const own: Record<StickerLook, number> = { card: 0, circle: 0, bubble: 0, bold: 0 };
    for (const look of STICKER_LOOKS)
      own[look] = await difference(sheet, await renderPreviewSheet(STYLE_PRESETS[look], photo));
    expect(own.bubble).toBeLessThan(2);
    for (const look of ['card', 'circle', 'bold'] as const)
      expect(own[look]).toBeGreaterThan(own.bubble + 5);

    // Nothing was spent for the preview; the look waits on the photo.
    expect(await h.db.lineStampTicketConsumption.count({ where: { userId: user.id } })).toBe(0);
    const waiting = await h.db.lineStampGenerateQueue.findFirstOrThrow({
      where: { userId: user.id },
    });
    expect(waiting.status).toBe('awaiting_messages');
    expect(waiting.style).toMatchObject({ look: 'bubble' });

    // The texts confirm: the ticket is spent and the set is drawn in the chosen look.
    await sendText(user.lineUserId, 'ありがとう\nよろしくね');
    const done = await waitFor(
      async () =>
        h.db.lineStampGenerateQueue.findFirst({ where: { userId: user.id, status: 'completed' } }),
      'the stamp job to complete',
      60_000,
    );
    expect(done.id).toBe(waiting.id);
    expect(done.style).toMatchObject({ look: 'bubble' });
    expect(await h.db.lineStampTicketConsumption.count({ where: { userId: user.id } })).toBe(1);
    expect(h.llm.requests().some((r) => JSON.stringify(r.messages).includes('スタイル'))).toBe(
      false,
    );
  });

  it('turns a photo and the next message into a sticker set, consuming one ticket', async () => {
    const user = await createTestUser(h.db, ledger, { points: 100 });
    await h.db.lineStampTicket.create({
      data: { userId: user.id, sourceRef: `test:${randomUUID()}` },
    });

    await sendPhoto(user.lineUserId);
    await waitFor(
      async () => texts(user.lineUserId).some((t) => t.includes('1行に1つずつ')),
      'the request for texts',
    );

    // "help" while the photo waits is still a command, not a sticker text.
    await send(
      textEvent(user.lineUserId, 'ヘルプ', {
        replyToken: h.line.issueReplyToken({ userId: user.lineUserId }),
      }),
    );
    await send(
      textEvent(user.lineUserId, 'ありがとう\nよろしくね', {
        replyToken: h.line.issueReplyToken({ userId: user.lineUserId }),
      }),
    );

    const queue = await waitFor(
      async () =>
        h.db.lineStampGenerateQueue.findFirst({ where: { userId: user.id, status: 'completed' } }),
      'the stamp job to complete',
      60_000,
    );
    const messages = await h.db.lineStampGenerateQueueMessage.findMany({
      where: { lineStampGenerateQueueId: queue.id },
      orderBy: { orderPriority: 'asc' },
    });
    expect(messages.map((m) => m.message)).toEqual(['ありがとう', 'よろしくね']);
    expect(queue.consumedAt).not.toBeNull();
    expect(await h.db.lineStampTicketConsumption.count({ where: { userId: user.id } })).toBe(1);

    const stored = await h.db.lineStampImage.findMany({
      where: { lineStampGenerateQueueId: queue.id },
    });
    expect(stored.filter((i) => i.kind === 'sticker')).toHaveLength(2);
    for (const image of stored) {
      await expect(
        h.worker.deps.s3.send(
          new HeadObjectCommand({ Bucket: h.config.env.S3_BUCKET, Key: image.imageUri }),
        ),
      ).resolves.toBeDefined();
    }
    await waitFor(async () => images(user.lineUserId).length > 0, 'the previews on LINE', 30_000);
    expect(texts(user.lineUserId).some((t) => t.includes('使い方'))).toBe(true);
    // The sticker texts never went to the LLM as chat.
    expect(h.llm.requests().some((r) => JSON.stringify(r.messages).includes('よろしくね'))).toBe(
      false,
    );
  });

  it('cancels a pending photo, after which text is chat again', async () => {
    const user = await createTestUser(h.db, ledger, { points: 100 });
    await sendPhoto(user.lineUserId);
    await waitFor(async () => texts(user.lineUserId).length >= 1, 'the request for texts');
    await send(
      textEvent(user.lineUserId, 'キャンセル', {
        replyToken: h.line.issueReplyToken({ userId: user.lineUserId }),
      }),
    );
    await send(
      textEvent(user.lineUserId, 'ふつうの質問です', {
        replyToken: h.line.issueReplyToken({ userId: user.lineUserId }),
      }),
    );
    await waitFor(async () => texts(user.lineUserId).length >= 3, 'three replies', 30_000);
    const queue = await h.db.lineStampGenerateQueue.findFirstOrThrow({
      where: { userId: user.id },
    });
    expect(queue.status).toBe('cancelled');
    expect(texts(user.lineUserId)[2]).toContain('了解しました: ふつうの質問です');
    expect(await h.db.lineStampTicketConsumption.count({ where: { userId: user.id } })).toBe(0);
  });

  it('rejects a photo that is not an image with a clear reply and keeps nothing', async () => {
    const user = await createTestUser(h.db, ledger, { points: 100 });
    const messageId = `bad${Date.now()}`;
    h.line.putContent(messageId, Buffer.from('definitely not a jpeg'), 'image/jpeg');
    await send(
      imageEvent(user.lineUserId, messageId, {
        replyToken: h.line.issueReplyToken({ userId: user.lineUserId }),
      }),
    );
    await waitFor(async () => texts(user.lineUserId).length >= 1, 'the rejection');
    expect(await h.db.lineStampGenerateQueue.count({ where: { userId: user.id } })).toBe(0);
    // The next text is chat, not sticker texts.
    await send(
      textEvent(user.lineUserId, 'ただのチャット', {
        replyToken: h.line.issueReplyToken({ userId: user.lineUserId }),
      }),
    );
    await waitFor(async () => texts(user.lineUserId).length >= 2, 'the chat reply', 30_000);
    expect(texts(user.lineUserId)[1]).toContain('了解しました: ただのチャット');
  });
});
