import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { WorkflowExecutionInfo } from '@temporalio/client';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { writeCatalogVariant, type CatalogVariant } from '../support/catalog-variant';
import { startSystemHarness, type SystemHarness } from '../support/system-harness';
import { followEvent, imageEvent, postLineWebhook, textEvent } from '../support/line-webhook';
import {
  joinEvent,
  leaveEvent,
  makeChatId,
  mentionBotEvent,
  postbackEvent,
} from '../../stand-ins/line-webhook';
import {
  checkoutSession,
  postStripeWebhook,
  signEvent,
  stripeEvent,
} from '../support/stripe-events';
import { createTestUser } from '../support/users';
import { waitFor } from '../support/workers';
import { photoJpeg } from '../unit/sticker-fixtures';
import { payloadCodec } from '../../lib/temporal';
import { payloadFromJson, payloadToJson, type JsonPayload } from '../../lib/payload-json';
import { SEALED_ENCODING, type SealingPayloadCodec } from '../../lib/payload-codec';

/**
 * Records the histories the replay test (test/integration/replay.test.ts) replays against the
 * workflow code of later releases. Not part of `npm test`: run it on a release's code with
 * `npm run replay:record` and commit what it writes under test/replay/histories/<release>/.
 */
const RELEASE = process.env.REPLAY_RELEASE ?? 'current';
const OUT = path.join(__dirname, 'histories', RELEASE);
const TEMPORAL_CLI =
  process.env.TEMPORAL_CLI ??
  path.join(os.homedir(), '.cache', 'line-ai-tools', 'temporal-v1.5.1', 'temporal');

describe('record workflow histories for replay tests', () => {
  let h: SystemHarness;
  let catalog: CatalogVariant;
  beforeAll(async () => {
    // The slow answer's notice sooner than the catalog's 35 s, and a model call that may take
    // the stand-in's 34 s (as test/integration/chat-collect.test.ts).
    catalog = writeCatalogVariant((c) => {
      c.chat.answerNoticeAfterSeconds = 16;
      c.chat.llmTimeoutMs = 60_000;
    });
    h = await startSystemHarness('replay-record', { env: { CATALOG_FILE: catalog.file } });
  });
  afterAll(async () => {
    await h?.stop();
    catalog?.remove();
  });

  const reply = (lineUserId: string) => ({
    replyToken: h.line.issueReplyToken({ userId: lineUserId }),
  });
  async function send(event: unknown) {
    const res = await postLineWebhook(h.apiUrl, h.config.env.LINE_CHANNEL_SECRET, [event]);
    expect(res.status).toBe(200);
  }

  it('runs every workflow family once and exports their histories', async () => {
    const user = await createTestUser(h.db, h.ledger, { points: 500 });
    const poor = await createTestUser(h.db, h.ledger, { points: 0 });
    const id = user.lineUserId;
    const texts = () => h.line.textsFor(id);
    let answered = 0;
    const waitAnswers = async (n: number, what: string) => {
      answered += n;
      // Messages, not texts: some answers are Flex cards (the balance).
      await waitFor(async () => h.line.messagesFor(id).length >= answered, what, 60_000);
    };

    // A session: follow, a chat turn, a command, a canned reply.
    await send(followEvent(id, reply(id)));
    await waitAnswers(1, 'the greeting');
    await send(textEvent(id, '今日の天気は？', reply(id)));
    await waitAnswers(1, 'the answer');
    await send(textEvent(id, '残高', reply(id)));
    await waitAnswers(1, 'the balance');
    await send(textEvent(id, 'こんにちは', reply(id)));
    await waitAnswers(1, 'the canned reply');
    // A rejected turn (no points) in another session.
    await send(textEvent(poor.lineUserId, 'hello there, how are you?', reply(poor.lineUserId)));
    await waitFor(async () => h.line.textsFor(poor.lineUserId).length >= 1, 'the refusal');

    // A sticker set from LINE: photo, then its texts; a second photo cancelled.
    await h.db.lineStampTicket.create({
      data: { userId: user.id, sourceRef: `test:${randomUUID()}` },
    });
    const messageId = `${Date.now()}1`;
    h.line.putContent(messageId, await photoJpeg({ width: 640, height: 480 }), 'image/jpeg');
    await send(imageEvent(id, messageId, reply(id)));
    await waitFor(async () => texts().some((t) => t.includes('1行に1つずつ')), 'the ask for texts');
    await send(textEvent(id, 'ありがとう\nよろしくね', reply(id)));
    await waitFor(
      async () =>
        h.db.lineStampGenerateQueue.findFirst({ where: { userId: user.id, status: 'completed' } }),
      'the sticker set',
      60_000,
    );
    const second = `${Date.now()}2`;
    h.line.putContent(second, await photoJpeg({ width: 320, height: 240 }), 'image/jpeg');
    await send(imageEvent(id, second, reply(id)));
    await waitFor(
      async () => texts().filter((t) => t.includes('1行に1つずつ')).length >= 2,
      'the second ask',
    );
    await send(textEvent(id, 'キャンセル', reply(id)));
    await new Promise((r) => setTimeout(r, 3000));

    // A Stripe grant.
    const event = stripeEvent(
      'checkout.session.completed',
      checkoutSession({
        metadata: { userId: user.id, productId: 'points_1200', lineUserId: id },
        mode: 'payment',
        amountTotal: 1000,
      }),
    );
    const { payload, signature } = signEvent(event, h.config.env.STRIPE_WEBHOOK_SECRET);
    expect((await postStripeWebhook(h.apiUrl, payload, signature)).status).toBe(200);
    await h.temporal.workflow.getHandle(`stripe-${event.id}`).result();
    await new Promise((r) => setTimeout(r, 2000));

    // An operator's grant (told on LINE by its own workflow) and plan change.
    const admin = (method: string, pathname: string, body: unknown) =>
      fetch(`${h.apiUrl}${pathname}`, {
        method,
        headers: {
          authorization: `Bearer ${h.config.env.ADMIN_TOKEN}`,
          'x-admin-actor': 'replay-record',
          'content-type': 'application/json',
        },
        body: JSON.stringify(body),
      });
    const grant = await admin('POST', `/admin/users/${id}/points`, {
      delta: 50,
      reason: 'replay',
      requestId: randomUUID(),
    });
    expect(grant.status).toBe(200);
    const { noticeWorkflowId } = (await grant.json()) as { noticeWorkflowId: string };
    await h.temporal.workflow.getHandle(noticeWorkflowId).result();
    const plan = await admin('PUT', `/admin/users/${id}/plan`, { planId: 'premium' });
    expect(plan.status).toBe(200);
    const { notice } = (await plan.json()) as { notice: { workflowId: string } };
    await h.temporal.workflow.getHandle(notice.workflowId).result();

    // A web search (the premium plan has the search tier) and a voice message.
    const before = h.line.messagesFor(id).length;
    await send(textEvent(id, '検索 今日のニュース', reply(id)));
    await waitFor(async () => h.line.messagesFor(id).length > before, 'the search answer', 60_000);
    const voiceId = `${Date.now()}3`;
    h.line.putContent(
      voiceId,
      Buffer.from('....[[transcript:明日の天気は？]][[seconds:3]]....'),
      'audio/x-m4a',
    );
    await send({
      ...textEvent(id, 'unused', reply(id)),
      message: { type: 'audio', id: voiceId, duration: 3000, contentProvider: { type: 'line' } },
    });
    await waitFor(
      async () => h.line.messagesFor(id).length > before + 1,
      'the voice answer',
      60_000,
    );

    // The commands added later (behind the session's patches), a product picked by postback, a
    // LINE sticker and a video: what later releases must still replay as these runs took them.
    const answers = () => h.line.messagesFor(id).length;
    for (const event of [
      textEvent(id, 'マイスタンプ', reply(id)),
      textEvent(id, 'プラン管理', reply(id)),
      postbackEvent(id, 'action=buy&product=points_500', reply(id)),
      {
        ...textEvent(id, 'unused', reply(id)),
        message: { type: 'sticker', id: `${Date.now()}4`, packageId: '446', stickerId: '1988' },
      },
      {
        ...textEvent(id, 'unused', reply(id)),
        message: { type: 'video', id: `${Date.now()}5`, duration: 2000 },
      },
    ]) {
      const before = answers();
      await send(event);
      await waitFor(async () => answers() > before, 'the answer', 60_000);
    }

    // A group: the bot joins, a member's mention is a chat turn answered in the group, the bot
    // leaves (a group session of its own).
    const group = makeChatId('group');
    const inGroup = () =>
      h.line.received().filter((r) => r.chatId === group && r.kind !== 'loading');
    const groupToken = () => ({
      replyToken: h.line.issueReplyToken({ userId: id, chatId: group }),
    });
    await send(joinEvent(group, { replyToken: h.line.issueReplyToken({ chatId: group }) }));
    await waitFor(async () => inGroup().length >= 1, 'the greeting in the group');
    await send(mentionBotEvent(group, '今日の予定は？', { userId: id, ...groupToken() }));
    await waitFor(async () => inGroup().length >= 2, 'the answer in the group', 60_000);
    await send(leaveEvent(group));
    await waitFor(
      async () => (await h.db.lineConversation.findFirst({ where: { id: group } }))?.leftAt,
      'the group left',
    );

    // A question about a photo (the premium plan has the vision tier).
    await h.db.lineStampTicket.create({
      data: { userId: user.id, sourceRef: `test:${randomUUID()}` },
    });
    const photoId = `${Date.now()}6`;
    h.line.putContent(photoId, await photoJpeg({ width: 640, height: 480 }), 'image/jpeg');
    let seen = answers();
    await send(imageEvent(id, photoId, reply(id)));
    await waitFor(async () => answers() > seen, 'the photo acknowledgement');
    seen = answers();
    await send(textEvent(id, 'この画像について質問', reply(id)));
    await waitFor(async () => answers() > seen, 'the ask for a question');
    seen = answers();
    await send(textEvent(id, 'これは何ですか？', reply(id)));
    await waitFor(async () => answers() > seen, 'the answer about the photo', 60_000);
    await send(textEvent(id, 'キャンセル', reply(id)));
    await new Promise((r) => setTimeout(r, 3000));

    // A slow answer: the notice with 「回答を受け取る」, a tap, the answer on the tap's token.
    const slow = textEvent(id, 'ゆっくり考えて [[delay:34000]]', reply(id));
    await send(slow);
    const noticeRecord = await waitFor(
      async () =>
        h.line
          .received({ userId: id, kind: 'reply' })
          .find((r) => r.messages?.[0]?.text === h.config.catalog.chat.answerNotice),
      'the notice',
      90_000,
    );
    const items = (
      noticeRecord.messages![0] as { quickReply?: { items: Array<{ action: { data: string } }> } }
    ).quickReply?.items;
    seen = answers();
    await send(postbackEvent(id, items![0]!.action.data, reply(id)));
    await waitFor(async () => answers() > seen, 'the answer on the tap', 90_000);
    await h.temporal.workflow.getHandle(`chat-${slow.webhookEventId}`).result();

    fs.rmSync(OUT, { recursive: true, force: true });
    fs.mkdirSync(OUT, { recursive: true });
    const found: WorkflowExecutionInfo[] = [];
    for await (const info of h.temporal.workflow.list()) {
      if (info.taskQueue.startsWith(h.config.env.TASK_QUEUE_PREFIX)) found.push(info);
    }
    const written: string[] = [];
    const codec = payloadCodec(h.config.env);
    for (const info of found) {
      // The CLI's JSON is the format Temporal documents for replay (temporal workflow show).
      const history = execFileSync(TEMPORAL_CLI, [
        'workflow',
        'show',
        '--output',
        'json',
        '--address',
        h.config.env.TEMPORAL_ADDRESS,
        '--namespace',
        h.config.env.TEMPORAL_NAMESPACE,
        '--workflow-id',
        info.workflowId,
        '--run-id',
        info.runId,
      ]);
      const file = `${info.type}--${info.workflowId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 60)}.json`;
      // Stored unsealed: the keys of this run are not kept, and the replay needs no codec.
      const json = JSON.parse(history.toString('utf8')) as unknown;
      await unsealPayloads(json, codec);
      fs.writeFileSync(path.join(OUT, file), `${JSON.stringify(json, null, 2)}\n`);
      written.push(`${info.type} ${info.status.name}`);
    }
    process.stderr.write(`recorded ${written.length} histories:\n${written.join('\n')}\n`);
    expect(written.some((w) => w.startsWith('lineUserSession'))).toBe(true);
  });
});

function isSealedPayload(
  value: Record<string, unknown>,
): value is Record<string, unknown> & JsonPayload {
  const metadata = value.metadata as Record<string, unknown> | undefined;
  return (
    typeof metadata === 'object' &&
    metadata !== null &&
    typeof metadata.encoding === 'string' &&
    Buffer.from(metadata.encoding, 'base64').toString() === SEALED_ENCODING
  );
}

/**
 * Every sealed payload of a history in the CLI's JSON replaced in place by what the codec opens
 * it to: the form older releases recorded in.
 */
async function unsealPayloads(node: unknown, codec: SealingPayloadCodec): Promise<void> {
  if (Array.isArray(node)) {
    for (const item of node) await unsealPayloads(item, codec);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const value = node as Record<string, unknown>;
  if (isSealedPayload(value)) {
    const [opened] = await codec.decode([payloadFromJson(value)]);
    Object.assign(value, payloadToJson(opened!));
    return;
  }
  for (const child of Object.values(value)) await unsealPayloads(child, codec);
}
