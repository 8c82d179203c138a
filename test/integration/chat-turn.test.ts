import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import { priceUsage } from '../../domain/pricing';
import { usageDate } from '../../domain/daily-limit';
import type { Ledger } from '../../ledger';
import { sessionWorkflowId } from '../../workflows/line-user-session';
import { startChatHarness, type ChatHarness } from '../support/chat-harness';
import {
  followEvent,
  lineSignature,
  textEvent,
  unfollowEvent,
  webhookBody,
} from '../support/line-webhook';
import { createTestUser, testLedger } from '../support/users';
import { spawnWorkerProcess, waitFor } from '../support/workers';

/**
 * The chat turn end to end: a signed LINE webhook through the real API, a real worker and
 * Temporal server, real PostgreSQL; only LINE and the LLM are local stand-ins.
 */
describe('chat turn', () => {
  let h: ChatHarness;
  let ledger: Ledger;

  beforeAll(async () => {
    h = await startChatHarness('chat');
    ledger = testLedger(h.db, h.config);
  });
  afterAll(async () => {
    await h?.stop();
  });

  const smallTier = () => h.config.catalog.modelTiers.small!;

  async function say(
    lineUserId: string,
    text: string,
    opts: { webhookEventId?: string; isRedelivery?: boolean; ageSeconds?: number } = {},
  ) {
    const replyToken = h.line.issueReplyToken({ userId: lineUserId, ageSeconds: opts.ageSeconds });
    const event = textEvent(lineUserId, text, {
      replyToken,
      webhookEventId: opts.webhookEventId,
      isRedelivery: opts.isRedelivery,
      timestamp: Date.now() - (opts.ageSeconds ?? 0) * 1000,
    });
    const res = await h.send([event]);
    expect(res.status).toBe(200);
    return event;
  }

  const lastUserMessage = (r: { messages?: Array<{ role: string; content: unknown }> }) =>
    String(r.messages?.filter((m) => m.role === 'user').at(-1)?.content);
  const textsFor = (lineUserId: string) => h.line.textsFor(lineUserId);
  const waitForTexts = (lineUserId: string, n: number, timeoutMs = 30_000) =>
    waitFor(
      async () => textsFor(lineUserId).length >= n && textsFor(lineUserId),
      `${n} replies`,
      timeoutMs,
    );
  /** LLM requests whose newest user message (the turn's own) is exactly `text`. */
  const llmRequestsWith = (text: string) =>
    h.llm.requests().filter((r) => lastUserMessage(r) === text);

  async function turnState(userId: string) {
    const [reservations, usage, records, archive, balance, replay] = await Promise.all([
      h.db.pointReservation.findMany({ where: { userId } }),
      h.db.aiChatUsageLog.findMany({ where: { userId } }),
      h.db.usageRecord.findMany({ where: { userId } }),
      h.db.chatArchive.findMany({ where: { userId }, orderBy: { createdAt: 'asc' } }),
      ledger.getBalance(userId),
      ledger.replayCheck(userId),
    ]);
    return { reservations, usage, records, archive, balance, replay };
  }

  it('answers, charges exactly per the price table and archives both messages', async () => {
    const user = await createTestUser(h.db, ledger, { points: 100 });
    await say(user.lineUserId, '今日の天気を教えて');
    const [reply] = await waitForTexts(user.lineUserId, 1);
    expect(reply).toContain('了解しました: 今日の天気を教えて');

    const [request] = llmRequestsWith('今日の天気を教えて');
    expect(request?.model).toBe(smallTier().model);
    expect(request?.messages?.[0]).toEqual({
      role: 'system',
      content: h.config.catalog.chat.defaultSystemPrompt,
    });
    const usage = request!.reply!.usage;
    const expected = priceUsage({
      tier: smallTier(),
      rates: h.config.catalog.rates,
      inputTokens: usage.prompt_tokens,
      outputTokens: usage.completion_tokens,
    });

    const s = await waitFor(async () => {
      const state = await turnState(user.id);
      return state.reservations[0]?.status === 'settled' && state;
    }, 'settlement');
    expect(s.balance.balance).toBe(100 - expected.points);
    expect(s.records.map((r) => [r.ioType, r.tokens, r.points]).sort()).toEqual(
      expected.records.map((r) => [r.ioType, 'tokens' in r ? r.tokens : null, r.points]).sort(),
    );
    expect(s.archive.map((a) => [a.role, a.content])).toEqual([
      ['user', '今日の天気を教えて'],
      ['assistant', reply],
    ]);
    expect(s.usage).toHaveLength(1);
    expect(s.usage[0]!.usageCount).toBe(1);
    expect(s.replay).toEqual([]);
    const updated = await h.db.user.findUniqueOrThrow({ where: { id: user.id } });
    expect(updated.messageCount).toBe(1);
    expect(Number(updated.tokensUsed)).toBe(usage.prompt_tokens + usage.completion_tokens);
    const loading = h.line.received({ userId: user.lineUserId, kind: 'loading' });
    expect(loading.length).toBeGreaterThanOrEqual(1);
  });

  it('never makes a second turn for a redelivered event, in or after the session', async () => {
    const user = await createTestUser(h.db, ledger, { points: 100 });
    const event = await say(user.lineUserId, 'redelivery check');
    await say(user.lineUserId, 'redelivery check', {
      webhookEventId: event.webhookEventId,
      isRedelivery: true,
    });
    await waitForTexts(user.lineUserId, 1);

    // After the session has ended, the event's claim (by the first session run) still refuses
    // a second turn in the new session.
    const session = h.temporal.workflow.getHandle(sessionWorkflowId(user.lineUserId));
    await session.terminate('test: end the session');
    await say(user.lineUserId, 'redelivery check', {
      webhookEventId: event.webhookEventId,
      isRedelivery: true,
    });
    await say(user.lineUserId, 'after redelivery');
    await waitForTexts(user.lineUserId, 2);

    expect(llmRequestsWith('redelivery check')).toHaveLength(1);
    expect(textsFor(user.lineUserId)).toHaveLength(2);
    const s = await turnState(user.id);
    expect(s.reservations).toHaveLength(2);
    expect(s.usage[0]!.usageCount).toBe(2);
  });

  it('answers five quick messages in order, each turn seeing the one before', async () => {
    // basic: 10 turns a day (free allows 3).
    const user = await createTestUser(h.db, ledger, { points: 100, planId: 'basic' });
    for (let i = 1; i <= 5; i++) await say(user.lineUserId, `質問${i}`);
    const texts = await waitForTexts(user.lineUserId, 5, 60_000);
    expect(texts.map((t) => /質問(\d)/.exec(t)?.[1])).toEqual(['1', '2', '3', '4', '5']);

    for (let i = 2; i <= 5; i++) {
      const [request] = llmRequestsWith(`質問${i}`);
      const history = request!.messages!.slice(1, -1).map((m) => String(m.content));
      // The previous question and its answer are in this turn's prompt.
      expect(history).toContain(`質問${i - 1}`);
      expect(history.some((c) => c.includes(`了解しました: 質問${i - 1}`))).toBe(true);
    }
  });

  it('retries a failed LLM call and charges once', async () => {
    const user = await createTestUser(h.db, ledger, { points: 100 });
    h.llm.failNext(500, 1);
    await say(user.lineUserId, 'flaky provider');
    await waitForTexts(user.lineUserId, 1);
    const requests = h.llm.requests().filter((r) => lastUserMessage(r) === 'flaky provider');
    expect(requests.map((r) => r.status)).toEqual([500, 200]);
    const s = await waitFor(async () => {
      const state = await turnState(user.id);
      return state.reservations[0]?.status === 'settled' && state;
    }, 'settlement');
    expect(s.records.filter((r) => r.ioType === 'in')).toHaveLength(1);
    const charged = s.records.reduce((n, r) => n + r.points, 0);
    expect(s.balance.balance).toBe(100 - charged);
  });

  it('releases the hold, apologises and charges nothing when the LLM is down', async () => {
    const user = await createTestUser(h.db, ledger, { points: 100 });
    h.llm.setDown(true, '503');
    try {
      await say(user.lineUserId, 'is anyone there');
      const [reply] = await waitForTexts(user.lineUserId, 1);
      expect(reply).toBe(h.config.catalog.messages.SYSTEM_ERROR);
    } finally {
      h.llm.setDown(false);
    }
    const s = await waitFor(async () => {
      const state = await turnState(user.id);
      return state.reservations[0]?.status === 'released' && state;
    }, 'release');
    expect(s.balance).toMatchObject({ balance: 100, held: 0 });
    expect(s.records).toHaveLength(0);
    expect(s.archive).toHaveLength(0);
    // A failed turn does not count against the daily limit.
    expect(s.usage[0]?.usageCount ?? 0).toBe(0);
  });

  /**
   * Runs `body` with the chat worker in a child process that the body may SIGKILL
   * (`killWorker`) and replace (`startWorker`); the in-process worker is back afterwards.
   */
  async function withWorkerProcesses(
    body: (w: { killWorker(): Promise<void>; startWorker(): Promise<void> }) => Promise<void>,
  ) {
    await h.worker.stop();
    const workers = [await spawnWorkerProcess(h.childEnv, ['chat'])];
    try {
      await body({
        async killWorker() {
          const w = workers.at(-1)!;
          w.child.kill('SIGKILL');
          await w.exited;
        },
        async startWorker() {
          workers.push(await spawnWorkerProcess(h.childEnv, ['chat']));
        },
      });
    } finally {
      for (const w of workers) {
        if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
        await w.exited;
      }
      await h.restartWorker();
    }
  }

  it('completes the turn exactly once after its worker is SIGKILLed between reserve and settle', async () => {
    const user = await createTestUser(h.db, ledger, { points: 100 });
    await withWorkerProcesses(async ({ killWorker, startWorker }) => {
      // The stand-in holds this call for 3 s: long enough to kill the worker inside it.
      await say(user.lineUserId, 'slow answer [[delay:3000]]');
      await waitFor(async () => {
        const held = await h.db.pointReservation.findFirst({
          where: { userId: user.id, status: 'held' },
        });
        return held && llmRequestsWith('slow answer [[delay:3000]]').length > 0;
      }, 'the turn to reserve and call the LLM');
      await killWorker();

      await startWorker();
      const texts = await waitForTexts(user.lineUserId, 1, 60_000);
      expect(texts).toHaveLength(1);
      const s = await waitFor(async () => {
        const state = await turnState(user.id);
        return state.reservations[0]?.status === 'settled' && state;
      }, 'settlement');
      expect(s.reservations).toHaveLength(1);
      expect(s.records.filter((r) => r.ioType === 'in')).toHaveLength(1);
      expect(s.archive).toHaveLength(2);
      expect(s.usage[0]!.usageCount).toBe(1);
      expect(s.balance.balance).toBe(100 - s.records.reduce((n, r) => n + r.points, 0));
      expect(s.replay).toEqual([]);
      // The price of running the turn as local activities: the model was asked again by the
      // worker that took over (its first call's result was never recorded), but charged once.
      expect(llmRequestsWith('slow answer [[delay:3000]]')).toHaveLength(2);
      // Nothing more arrives later either.
      await new Promise((r) => setTimeout(r, 1000));
      expect(textsFor(user.lineUserId)).toHaveLength(1);
    });
  });

  it('answers a message claimed by a dead run after an operator resets the session', async () => {
    const user = await createTestUser(h.db, ledger, { points: 100 });
    await withWorkerProcesses(async ({ killWorker, startWorker }) => {
      await say(user.lineUserId, 'help');
      await waitForTexts(user.lineUserId, 1);
      const text = 'reset me [[delay:3000]]';
      await say(user.lineUserId, text);
      await waitFor(
        async () => llmRequestsWith(text).length > 0,
        'the turn to claim its event and call the LLM',
      );
      await killWorker();

      // Reset the session to the workflow task that took the second event up, as an operator
      // would in the Web UI: the new run takes the turn up again. The event's claim belongs to
      // the run the execution started as, which a reset keeps, so the reset run may answer it;
      // the turn's own workflow (chat-<webhookEventId>) is already running and is not started
      // twice. (Runs from before the chat-turn-child-workflow patch ran the turn inside that
      // task: it timed out with the dead worker.)
      const session = h.temporal.workflow.getHandle(sessionWorkflowId(user.lineUserId));
      const resetPoint = await waitFor(
        async () => {
          const events = (await session.fetchHistory()).events ?? [];
          const signals = events.filter((e) => e.workflowExecutionSignaledEventAttributes);
          return events
            .filter(
              (e) =>
                e.workflowTaskTimedOutEventAttributes || e.workflowTaskCompletedEventAttributes,
            )
            .find((e) => Number(e.eventId) > Number(signals[1]?.eventId));
        },
        'the workflow task that took the second event up',
        30_000,
      );
      const { runId } = await session.describe();
      await h.temporal.workflowService.resetWorkflowExecution({
        namespace: h.config.env.TEMPORAL_NAMESPACE,
        workflowExecution: { workflowId: session.workflowId, runId },
        reason: 'test: operator reset',
        workflowTaskFinishEventId: resetPoint.eventId,
        requestId: randomUUID(),
      });

      await startWorker();
      const texts = await waitForTexts(user.lineUserId, 2, 60_000);
      expect(texts[1]).toContain('reset me');
      const s = await waitFor(async () => {
        const state = await turnState(user.id);
        return state.reservations[0]?.status === 'settled' && state;
      }, 'settlement');
      expect(s.reservations).toHaveLength(1);
      expect(s.usage[0]!.usageCount).toBe(1);
      expect(s.replay).toEqual([]);
      await new Promise((r) => setTimeout(r, 1000));
      expect(textsFor(user.lineUserId)).toHaveLength(2);
    });
  });

  it('pushes instead of replying when the reply token is too old', async () => {
    const user = await createTestUser(h.db, ledger, { points: 100 });
    await say(user.lineUserId, 'late delivery', { ageSeconds: 120 });
    await waitForTexts(user.lineUserId, 1);
    const records = h.line
      .received({ userId: user.lineUserId })
      .filter((r) => r.kind !== 'loading');
    expect(records.map((r) => r.kind)).toEqual(['push']);
    expect(records[0]!.retryKey).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers with the limit message and calls no LLM when the daily limit is reached', async () => {
    const user = await createTestUser(h.db, ledger, { points: 100, planId: 'basic' });
    await h.db.aiChatUsageLog.create({
      data: {
        userId: user.id,
        usageDate: new Date(`${usageDate(new Date(), h.config.env.TIME_ZONE)}T00:00:00Z`),
        usageCount: 10,
      },
    });
    await say(user.lineUserId, 'one more please');
    const [reply] = await waitForTexts(user.lineUserId, 1);
    expect(reply).toContain(h.config.catalog.messages.USAGE_LIMIT_EXCEEDED);
    expect(reply).toMatch(/次回リセット: \d{2}\/\d{2} 00:00/);
    expect(llmRequestsWith('one more please')).toHaveLength(0);
    expect((await turnState(user.id)).balance.balance).toBe(100);
  });

  it('answers with the buy message and calls no LLM when points are insufficient', async () => {
    const user = await createTestUser(h.db, ledger, { points: 0 });
    await say(user.lineUserId, 'no money');
    const [reply] = await waitForTexts(user.lineUserId, 1);
    expect(reply).toContain(h.config.catalog.messages.INSUFFICIENT_POINTS);
    // No Checkout session on a refusal: the reply points to 「購入」 instead of a link.
    expect(reply).toContain('「購入」');
    expect(reply).not.toMatch(/https?:\/\//);
    expect(llmRequestsWith('no money')).toHaveLength(0);
    const s = await turnState(user.id);
    expect(s.usage[0]?.usageCount ?? 0).toBe(0);
  });

  it('answers canned replies without charge or count', async () => {
    const user = await createTestUser(h.db, ledger, { points: 100 });
    const before = h.llm.requests().length;
    await say(user.lineUserId, 'こんにちは');
    const [reply] = await waitForTexts(user.lineUserId, 1);
    expect(reply).toBe(h.config.catalog.cannedReplies[0]!.reply);
    expect(h.llm.requests().length).toBe(before);
    const s = await turnState(user.id);
    expect(s.balance.balance).toBe(100);
    expect(s.usage).toHaveLength(0);
  });

  it('archives a prompt change and uses it in the next call', async () => {
    const user = await createTestUser(h.db, ledger, { points: 100 });
    await say(user.lineUserId, 'プロンプト設定 あなたは猫です。語尾はにゃん。');
    await waitForTexts(user.lineUserId, 1);
    await say(user.lineUserId, 'what are you');
    await waitForTexts(user.lineUserId, 2);
    const archives = await h.db.promptArchive.findMany({ where: { userId: user.id } });
    expect(archives.map((a) => a.prompt)).toEqual(['あなたは猫です。語尾はにゃん。']);
    const [request] = llmRequestsWith('what are you');
    expect(request!.messages![0]).toEqual({
      role: 'system',
      content: 'あなたは猫です。語尾はにゃん。',
    });
    expect(textsFor(user.lineUserId)[0]).toContain('変更しました');
  });

  it('registers a follower with sign-up points and a welcome, and soft-deletes on unfollow', async () => {
    const { makeLineUserId } = await import('../../stand-ins');
    const lineUserId = makeLineUserId(randomUUID());
    const replyToken = h.line.issueReplyToken({ userId: lineUserId });
    expect((await h.send([followEvent(lineUserId, { replyToken })])).status).toBe(200);
    const [welcome] = await waitForTexts(lineUserId, 1);
    expect(welcome).toBe(h.config.catalog.messages.welcome);
    const user = await h.db.user.findUniqueOrThrow({ where: { lineUserId } });
    expect((await ledger.getBalance(user.id)).balance).toBe(h.config.catalog.signupPoints.points);

    expect((await h.send([unfollowEvent(lineUserId)])).status).toBe(200);
    await waitFor(
      async () => (await h.db.user.findUnique({ where: { lineUserId } }))?.deletedAt,
      'soft delete',
    );
    // Following again restores the user but grants no second sign-up bonus.
    expect(
      (
        await h.send([
          followEvent(lineUserId, { replyToken: h.line.issueReplyToken({ userId: lineUserId }) }),
        ])
      ).status,
    ).toBe(200);
    await waitForTexts(lineUserId, 2);
    await waitFor(
      async () => (await h.db.user.findUnique({ where: { lineUserId } }))?.deletedAt === null,
      'restore',
    );
    expect((await ledger.getBalance(user.id)).balance).toBe(h.config.catalog.signupPoints.points);
  });

  describe('bad webhook input', () => {
    it('rejects a bad or missing signature with 401 and starts nothing', async () => {
      const user = await createTestUser(h.db, ledger, { points: 100 });
      const events = [textEvent(user.lineUserId, 'forged')];
      const forged = lineSignature(webhookBody(events), 'not-the-channel-secret');
      const res = await h.send(events, forged);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error_code: 'INVALID_SIGNATURE' });
      const missing = await fetch(`${h.apiUrl}/webhooks/line`, {
        method: 'POST',
        body: webhookBody(events),
      });
      expect(missing.status).toBe(401);
      await expect(
        h.temporal.workflow.getHandle(sessionWorkflowId(user.lineUserId)).describe(),
      ).rejects.toBeInstanceOf(WorkflowNotFoundError);
    });

    it('rejects malformed JSON and a body that is not a webhook with 400', async () => {
      for (const body of ['{"events": [', '{"hello": 1}']) {
        const res = await fetch(`${h.apiUrl}/webhooks/line`, {
          method: 'POST',
          headers: { 'x-line-signature': lineSignature(body, h.config.env.LINE_CHANNEL_SECRET) },
          body,
        });
        expect(res.status).toBe(400);
        expect(((await res.json()) as { error: string }).error).toMatch(/JSON|webhook/);
      }
    });

    it('acknowledges events it does not handle (sticker, group, verification) without work', async () => {
      const res = await h.send([
        {
          type: 'message',
          mode: 'active',
          timestamp: Date.now(),
          webhookEventId: 'X1',
          source: { type: 'group', groupId: 'C1' },
          deliveryContext: { isRedelivery: false },
          message: { type: 'text', id: '1', text: 'hi' },
        },
        {
          type: 'postback',
          mode: 'active',
          timestamp: Date.now(),
          webhookEventId: 'X2',
          source: { type: 'user', userId: 'U' + 'a'.repeat(32) },
          deliveryContext: { isRedelivery: false },
        },
      ]);
      expect(res.status).toBe(200);
      const verify = await h.send([]);
      expect(verify.status).toBe(200);
    });
  });
});
