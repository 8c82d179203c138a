import { randomUUID } from 'node:crypto';
import { TaskQueues } from '../../config/task-queues';
import type { Ledger } from '../../ledger';
import { createWorkerDeps } from '../../workers/deps';
import { startChatHarness, type ChatHarness } from '../support/chat-harness';
import { lineMessagesErrors } from '../support/line-openapi';
import { textEvent, webhookEventId } from '../support/line-webhook';
import { createTestUser, testLedger } from '../support/users';
import { startWorker, waitFor, type RunningWorker } from '../support/workers';

/**
 * The upgrade path and plan management in the chat (issue #14), end to end: the real API,
 * session, chat turn and worker, Temporal, PostgreSQL and stripe-mock (Checkout and the customer
 * portal through the real Stripe SDK); LINE and the LLM are the stand-ins. Every message the
 * product sends is validated against LINE's OpenAPI description.
 */
describe('upgrade path and plan management', () => {
  let h: ChatHarness;
  let ledger: Ledger;
  let worker: RunningWorker;
  /** Products a Checkout session was created for, and portal sessions asked for, in order. */
  const checkouts: string[] = [];
  const portals: string[] = [];

  beforeAll(async () => {
    h = await startChatHarness('upgrade-path');
    ledger = testLedger(h.db, h.config);
    await h.worker.stop();
    const deps = createWorkerDeps(h.config);
    const real = deps.checkout;
    deps.checkout = {
      linkFor: async (userId, productId) => {
        checkouts.push(productId);
        return real.linkFor(userId, productId);
      },
      portalFor: async (userId, requestId) => {
        portals.push(userId);
        return real.portalFor!(userId, requestId);
      },
    };
    worker = await startWorker(h.config, TaskQueues.chat, { deps });
  });
  afterAll(async () => {
    await worker?.stop();
    await h?.stop();
  });
  afterEach(() => {
    for (const record of h.line.received()) {
      if (record.messages) expect(lineMessagesErrors(record.messages)).toEqual([]);
    }
  });

  const say = (lineUserId: string, text: string) =>
    h.send([
      textEvent(lineUserId, text, { replyToken: h.line.issueReplyToken({ userId: lineUserId }) }),
    ]);
  const waitForMessages = (lineUserId: string, n: number) =>
    waitFor(
      async () => h.line.messagesFor(lineUserId).length >= n && h.line.messagesFor(lineUserId),
      `${n} messages`,
      60_000,
    );
  type QuickReplyMessage = {
    text?: string;
    quickReply?: { items: Array<{ action: { type: string; data?: string; text?: string } }> };
  };

  it('at the daily limit: points do not lift it, the plans that do are offered, a tap makes one Checkout session', async () => {
    const user = await createTestUser(h.db, ledger, { points: 500 });
    const limit = h.config.catalog.plans.free!.dailyChatLimit;
    for (let i = 1; i <= limit; i++) {
      expect((await say(user.lineUserId, `質問 ${i}`)).status).toBe(200);
      await waitForMessages(user.lineUserId, i);
    }
    expect((await say(user.lineUserId, 'もう一問')).status).toBe(200);
    const messages = await waitForMessages(user.lineUserId, limit + 1);
    const refusal = messages[limit] as QuickReplyMessage;
    expect(refusal.text).toContain(h.config.catalog.messages.USAGE_LIMIT_EXCEEDED);
    expect(refusal.text).toContain(`ポイントを購入しても1日の利用回数（${limit}回）は増えません`);
    expect(refusal.text).toContain('ベーシックプラン: 1日10回');
    const postbacks = refusal.quickReply!.items.filter((i) => i.action.type === 'postback');
    expect(postbacks.map((i) => i.action.data)).toEqual([
      'action=buy&product=sub_basic',
      'action=buy&product=sub_premium',
    ]);
    // The refusal itself created no session and charged nothing more.
    const before = checkouts.length;
    expect(checkouts).not.toContain('sub_basic');

    const tap = {
      type: 'postback',
      mode: 'active',
      timestamp: Date.now(),
      source: { type: 'user', userId: user.lineUserId },
      webhookEventId: webhookEventId(),
      deliveryContext: { isRedelivery: false },
      replyToken: h.line.issueReplyToken({ userId: user.lineUserId }),
      postback: { data: postbacks[0]!.action.data },
    };
    expect((await h.send([tap])).status).toBe(200);
    const [card] = (await waitForMessages(user.lineUserId, limit + 2)).slice(limit + 1);
    expect(checkouts.slice(before)).toEqual(['sub_basic']);
    expect(JSON.stringify(card)).toMatch(/"uri":"https?:\/\//);
  });

  it('プラン管理 without a Stripe customer: a clear reply, free', async () => {
    const user = await createTestUser(h.db, ledger, { points: 10 });
    const before = portals.length;
    await say(user.lineUserId, 'プラン管理');
    const [m] = await waitForMessages(user.lineUserId, 1);
    expect((m as QuickReplyMessage).text).toBe(h.config.catalog.messages.noPlanToManage);
    expect(portals.length).toBe(before + 1);
    expect(await ledger.getBalance(user.id)).toMatchObject({ balance: 10 });
  });

  it('a subscriber: the balance card has プラン管理, and `plan` opens a Stripe customer portal session', async () => {
    const user = await createTestUser(h.db, ledger, { points: 10, planId: 'basic' });
    await h.db.user.update({
      where: { id: user.id },
      data: { stripeCustomerId: `cus_${randomUUID().replace(/-/g, '').slice(0, 14)}` },
    });
    await say(user.lineUserId, '残高');
    const [card] = await waitForMessages(user.lineUserId, 1);
    const json = JSON.stringify(card);
    expect(json).toContain('"text":"プラン管理"');
    // Basic's upgrade is premium; points still do not lift the count.
    expect(json).toContain('action=buy&product=sub_premium');
    expect(json).toContain('ポイントを購入しても1日の回数は増えません');

    await say(user.lineUserId, 'plan');
    const [, portal] = await waitForMessages(user.lineUserId, 2);
    expect(portal).toMatchObject({ type: 'flex', contents: { type: 'bubble' } });
    const uri = /"uri":"([^"]+)"/.exec(JSON.stringify(portal))?.[1];
    expect(uri).toMatch(/^https:\/\//);
    expect(JSON.stringify(portal)).toContain(h.config.catalog.plans.basic!.name);
  });
});
