import type { Ledger } from '../../ledger';
import type { LineRecord } from '../../stand-ins/line-platform';
import { chatTurnId } from '../../workflows/support/ids';
import { writeCatalogVariant, type CatalogVariant } from '../support/catalog-variant';
import { startChatHarness, type ChatHarness } from '../support/chat-harness';
import { lineMessagesErrors } from '../support/line-openapi';
import { postbackEvent, textEvent, webhookEventId } from '../support/line-webhook';
import { createTestUser, testLedger } from '../support/users';
import { waitFor } from '../support/workers';

/**
 * The reply-token economy's tap flow (issue #14, item 8) end to end: the real webhook, inbox
 * relay, session, chat turn, Temporal and PostgreSQL; LINE and the LLM are the stand-ins, and
 * every request sent to LINE is validated against LINE's OpenAPI description. A slow model
 * (the stand-in's [[delay:MS]] directive) gets a notice on the message's token with a
 * 「回答を受け取る」 postback; the tap's token carries the answer (free), a push only when nobody
 * taps within chat.collectWaitSeconds. Small catalog values: notice after 16 s (the model step,
 * a local activity, holds the turn’s timer up to 8 s, so the notice comes 8–24 s in), wait 20 s.
 */
const NOTICE_AFTER_SECONDS = 16;
const COLLECT_WAIT_SECONDS = 20;
const SLOW = '[[delay:34000]]';

describe('tap to collect a slow answer', () => {
  let h: ChatHarness;
  let ledger: Ledger;
  let catalog: CatalogVariant;

  beforeAll(async () => {
    catalog = writeCatalogVariant((c) => {
      c.chat.answerNoticeAfterSeconds = NOTICE_AFTER_SECONDS;
      c.chat.collectWaitSeconds = COLLECT_WAIT_SECONDS;
      // The slow model's 34 s must fit in one call (the catalog's client waits 30 s).
      c.chat.llmTimeoutMs = 60_000;
    });
    h = await startChatHarness('collect', { env: { CATALOG_FILE: catalog.file } });
    ledger = testLedger(h.db, h.config);
  });
  afterAll(async () => {
    await h?.stop();
    catalog?.remove();
  });
  afterEach(() => {
    for (const record of h.line.received()) {
      if (record.messages) expect(lineMessagesErrors(record.messages)).toEqual([]);
    }
  });

  const notice = () => h.config.catalog.chat.answerNotice;
  const alreadySent = () => h.config.catalog.chat.answerAlreadySent;

  /** A message through the real webhook; returns its event ID. */
  async function say(lineUserId: string, text: string): Promise<string> {
    const id = webhookEventId();
    const replyToken = h.line.issueReplyToken({ userId: lineUserId });
    const res = await h.send([textEvent(lineUserId, text, { replyToken, webhookEventId: id })]);
    expect(res.status).toBe(200);
    return id;
  }

  /** A 「回答を受け取る」 tap (a postback webhook event) by `lineUserId`, naming `turnEventId`. */
  async function tap(lineUserId: string, data: string): Promise<string> {
    const id = webhookEventId();
    const res = await h.send([
      postbackEvent(lineUserId, data, {
        webhookEventId: id,
        replyToken: h.line.issueReplyToken({ userId: lineUserId }),
      }),
    ]);
    expect(res.status).toBe(200);
    return id;
  }

  const records = (lineUserId: string, kind?: 'reply' | 'push') =>
    h.line.received({ userId: lineUserId, ...(kind ? { kind } : {}) });
  const answers = (lineUserId: string) =>
    records(lineUserId).filter((r) => r.messages?.some((m) => m.text?.includes('了解しました')));

  async function noticeOf(lineUserId: string): Promise<{ record: LineRecord; data: string }> {
    const record = await waitFor(
      async () => records(lineUserId, 'reply').find((r) => r.messages?.[0]?.text === notice()),
      'the notice',
      60_000,
    );
    const items = (record.messages![0] as { quickReply?: { items: unknown[] } }).quickReply?.items;
    expect(items).toHaveLength(1);
    const action = (items![0] as { action: { type: string; label: string; data: string } }).action;
    expect(action).toMatchObject({ type: 'postback', label: '回答を受け取る' });
    return { record, data: action.data };
  }

  async function charges(userId: string, turnId: string) {
    const rows = await h.db.pointLedgerLog.findMany({ where: { userId, ref: turnId } });
    return rows.filter((r) => r.reason === 'charge');
  }

  /** The turn's result, once its session has started it. */
  async function turnResult(turnId: string) {
    const handle = h.temporal.workflow.getHandle(turnId);
    const started = () =>
      handle.describe().then(
        () => true,
        () => false,
      );
    await waitFor(started, 'the turn', 60_000);
    return handle.result();
  }

  async function collected(): Promise<Record<string, number>> {
    const metric = await h.worker.deps.metrics.chatAnswerCollect.get();
    return Object.fromEntries(metric.values.map((v) => [String(v.labels.result), v.value]));
  }

  it('a fast answer is a plain reply: no notice', async () => {
    const user = await createTestUser(h.db, ledger, { points: 100 });
    const id = await say(user.lineUserId, 'fast question');
    const result = await turnResult(chatTurnId(id));
    expect(result).toMatchObject({ outcome: 'answered' });
    expect(result.summary).toContain('delivered by reply');
    expect(h.line.textsFor(user.lineUserId)).toHaveLength(1);
    expect(h.line.textsFor(user.lineUserId)[0]).toContain('了解しました: fast question');
    expect(records(user.lineUserId, 'push')).toEqual([]);
  });

  it('a slow answer: notice with the button, a tap while the model works, the answer on the tap’s token', async () => {
    const user = await createTestUser(h.db, ledger, { points: 100 });
    const sent = Date.now();
    const id = await say(user.lineUserId, `slow question ${SLOW}`);
    const turnId = chatTurnId(id);
    const { record, data } = await noticeOf(user.lineUserId);
    expect(data).toBe(`action=collect&turn=${id}`);
    // Within the reply token's life (catalog replyTokenMaxAgeSeconds 50).
    expect(record.at.getTime() - sent).toBeLessThan((NOTICE_AFTER_SECONDS + 9) * 1000);
    expect(answers(user.lineUserId)).toEqual([]); // the model is still working

    const before = await collected();
    const tapId = await tap(user.lineUserId, data);
    const result = await turnResult(turnId);
    expect(result).toMatchObject({ outcome: 'answered' });
    expect(result.summary).toContain('tapped');

    const [answer, ...more] = answers(user.lineUserId);
    expect(more).toEqual([]);
    expect(answer).toMatchObject({ kind: 'reply' });
    expect(answer!.replyToken).not.toBe(record.replyToken);
    expect(records(user.lineUserId, 'push')).toEqual([]);
    expect(await charges(user.id, turnId)).toHaveLength(1);
    expect(await collected()).toEqual({ ...before, tapped: (before.tapped ?? 0) + 1 });
    // The tap went to the turn, not the session's queue: no turn of its own.
    await expect(h.temporal.workflow.getHandle(chatTurnId(tapId)).describe()).rejects.toThrow();
  }, 120_000);

  it('two messages at once: the first, with the second waiting behind it, sends no notice; the second does', async () => {
    const user = await createTestUser(h.db, ledger, { points: 200 });
    const first = webhookEventId();
    const second = webhookEventId();
    const res = await h.send(
      [first, second].map((id, n) =>
        textEvent(user.lineUserId, `slow question ${n + 1} ${SLOW}`, {
          webhookEventId: id,
          replyToken: h.line.issueReplyToken({ userId: user.lineUserId }),
        }),
      ),
    );
    expect(res.status).toBe(200);
    // The first turn never holds the second for a tap: answered as before (reply while young).
    const firstResult = await turnResult(chatTurnId(first));
    expect(firstResult).toMatchObject({ outcome: 'answered' });
    expect(firstResult.summary).not.toContain('notice');
    // The second, with nothing behind it, gets the notice and its answer on the tap's token.
    const { data } = await noticeOf(user.lineUserId);
    expect(data).toBe(`action=collect&turn=${second}`);
    await tap(user.lineUserId, data);
    const secondResult = await turnResult(chatTurnId(second));
    expect(secondResult.summary).toContain('tapped');
    const notices = records(user.lineUserId).filter((r) => r.messages?.[0]?.text === notice());
    expect(notices).toHaveLength(1);
    expect(answers(user.lineUserId)).toHaveLength(2);
  }, 180_000);

  it('a slow web search (「検索 …」) takes the same way: notice, tap, the answer on the tap’s token', async () => {
    const user = await createTestUser(h.db, ledger, { points: 500, planId: 'premium' });
    const id = await say(user.lineUserId, `検索\u3000slow search ${SLOW}`);
    const { data } = await noticeOf(user.lineUserId);
    await tap(user.lineUserId, data);
    const result = await turnResult(chatTurnId(id));
    expect(result).toMatchObject({ outcome: 'answered' });
    expect(result.summary).toContain('1 search');
    expect(result.summary).toContain('tapped');
    expect(records(user.lineUserId, 'push')).toEqual([]);
    expect(records(user.lineUserId, 'reply')).toHaveLength(2);
  }, 120_000);

  it('nobody taps: pushed after collectWaitSeconds; a foreign tap is ignored, a late tap told', async () => {
    const user = await createTestUser(h.db, ledger, { points: 100 });
    const other = await createTestUser(h.db, ledger, { points: 100 });
    const id = await say(user.lineUserId, `slow question ${SLOW}`);
    const turnId = chatTurnId(id);
    const { data } = await noticeOf(user.lineUserId);
    const before = await collected();

    // Another user sends the same data (forged): the turn ignores it; nobody answers it.
    await tap(other.lineUserId, data);
    const charged = await waitFor(
      async () => (await charges(user.id, turnId)).length > 0 && Date.now(),
      'the settlement',
      60_000,
    );
    const result = await turnResult(turnId);
    const pushedAt = Date.now();
    expect(result).toMatchObject({ outcome: 'answered' });
    expect(result.summary).toContain('no tap');
    expect(pushedAt - charged).toBeGreaterThanOrEqual((COLLECT_WAIT_SECONDS - 2) * 1000);
    const [answer, ...more] = answers(user.lineUserId);
    expect(more).toEqual([]);
    expect(answer).toMatchObject({ kind: 'push' });
    expect(records(other.lineUserId)).toEqual([]);
    expect(await collected()).toMatchObject({
      pushed_no_tap: (before.pushed_no_tap ?? 0) + 1,
    });

    // A tap after the turn is over: the session answers it for free.
    await tap(user.lineUserId, data);
    await waitFor(
      async () => h.line.textsFor(user.lineUserId).includes(alreadySent()),
      'the already-sent reply',
      60_000,
    );
    const told = records(user.lineUserId).find((r) => r.messages?.[0]?.text === alreadySent());
    expect(told).toMatchObject({ kind: 'reply' });
    expect(await charges(user.id, turnId)).toHaveLength(1);
    expect(answers(user.lineUserId)).toHaveLength(1);
  }, 150_000);

  it('a new message while the turn waits: the answer pushed at once, a late tap told, the message answered', async () => {
    const user = await createTestUser(h.db, ledger, { points: 100 });
    const id = await say(user.lineUserId, `slow question ${SLOW}`);
    const turnId = chatTurnId(id);
    const { data } = await noticeOf(user.lineUserId);
    const before = await collected();
    // LINE refuses the first pushes (retried after 1, 2 and 4 s): a tap meanwhile is told.
    h.line.failNext('/v2/bot/message/push', 500, 3);
    const next = await say(user.lineUserId, 'next question');
    await waitFor(async () => (await charges(user.id, turnId)).length > 0, 'settlement', 60_000);
    await tap(user.lineUserId, data);
    const result = await turnResult(turnId);
    expect(result).toMatchObject({ outcome: 'answered' });
    expect(result.summary).toContain('the user wrote again');
    expect(result.summary).toContain('a late tap told "already sent"');
    const told = records(user.lineUserId).find((r) => r.messages?.[0]?.text === alreadySent());
    expect(told).toMatchObject({ kind: 'reply' });
    const charged = (await charges(user.id, turnId))[0]!.createdAt.getTime();
    // Pushed when ready, not after collectWaitSeconds.
    expect(Date.now() - charged).toBeLessThan((COLLECT_WAIT_SECONDS - 5) * 1000);
    expect(answers(user.lineUserId)[0]).toMatchObject({ kind: 'push' });
    expect(await collected()).toMatchObject({
      pushed_new_message: (before.pushed_new_message ?? 0) + 1,
    });
    expect(await turnResult(chatTurnId(next))).toMatchObject({ outcome: 'answered' });
    const texts = h.line.textsFor(user.lineUserId);
    expect(texts[texts.length - 1]).toContain('了解しました: next question');
  }, 120_000);

  it('a worker restart while the turn waits for the tap: delivered once, on the tap’s token', async () => {
    const user = await createTestUser(h.db, ledger, { points: 100 });
    const id = await say(user.lineUserId, `slow question ${SLOW}`);
    const turnId = chatTurnId(id);
    const { data } = await noticeOf(user.lineUserId);
    await waitFor(
      async () => (await charges(user.id, turnId)).length > 0,
      'the settlement',
      60_000,
    );
    await h.restartWorker();
    await tap(user.lineUserId, data);
    const result = await turnResult(turnId);
    expect(result).toMatchObject({ outcome: 'answered' });
    expect(result.summary).toContain('tapped');
    const [answer, ...more] = answers(user.lineUserId);
    expect(more).toEqual([]);
    expect(answer).toMatchObject({ kind: 'reply' });
    expect(records(user.lineUserId, 'push')).toEqual([]);
    expect(await charges(user.id, turnId)).toHaveLength(1);
  }, 150_000);
});
