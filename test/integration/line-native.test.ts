import { TaskQueues } from '../../config/task-queues';
import type { Ledger } from '../../ledger';
import { createWorkerDeps } from '../../workers/deps';
import { startChatHarness, type ChatHarness } from '../support/chat-harness';
import { lineMessagesErrors } from '../support/line-openapi';
import { textEvent, webhookEventId } from '../support/line-webhook';
import { createTestUser, testLedger } from '../support/users';
import { startWorker, waitFor, type RunningWorker } from '../support/workers';

/**
 * The LINE-native answers end to end (issue #14): the real API, session, chat turn and worker,
 * Temporal, PostgreSQL and stripe-mock; LINE and the LLM are the stand-ins. Every request the
 * product sends to LINE is validated against LINE's own OpenAPI description.
 */
describe('LINE-native messages', () => {
  let h: ChatHarness;
  let ledger: Ledger;
  let worker: RunningWorker;
  /** Products a Checkout session was created for, in order (the worker's real checkout, counted). */
  const checkouts: string[] = [];

  beforeAll(async () => {
    h = await startChatHarness('line-native');
    ledger = testLedger(h.db, h.config);
    await h.worker.stop();
    const deps = createWorkerDeps(h.config);
    const real = deps.checkout;
    deps.checkout = {
      linkFor: async (userId, productId) => {
        checkouts.push(productId);
        return real.linkFor(userId, productId);
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

  function base(lineUserId: string) {
    return {
      mode: 'active',
      timestamp: Date.now(),
      source: { type: 'user', userId: lineUserId },
      webhookEventId: webhookEventId(),
      deliveryContext: { isRedelivery: false },
      replyToken: h.line.issueReplyToken({ userId: lineUserId }),
    };
  }
  async function send(event: unknown) {
    expect((await h.send([event])).status).toBe(200);
  }
  const say = (lineUserId: string, text: string) =>
    send(
      textEvent(lineUserId, text, { replyToken: h.line.issueReplyToken({ userId: lineUserId }) }),
    );
  const waitForMessages = (lineUserId: string, n: number) =>
    waitFor(
      async () => h.line.messagesFor(lineUserId).length >= n && h.line.messagesFor(lineUserId),
      `${n} messages`,
      30_000,
    );

  it('help answers with quick-reply buttons', async () => {
    const user = await createTestUser(h.db, ledger, { points: 100 });
    await say(user.lineUserId, 'ヘルプ');
    const [m] = await waitForMessages(user.lineUserId, 1);
    expect(m).toMatchObject({ type: 'text' });
    const items = (m as { quickReply?: { items: unknown[] } }).quickReply?.items ?? [];
    expect(items.length).toBeGreaterThan(0);
    expect(items.length).toBeLessThanOrEqual(13);
  });

  it('balance answers with a Flex card of points, expiry, remaining count and plan', async () => {
    const user = await createTestUser(h.db, ledger, { points: 150 });
    await say(user.lineUserId, '残高');
    const [m] = await waitForMessages(user.lineUserId, 1);
    expect(m).toMatchObject({ type: 'flex', contents: { type: 'bubble' } });
    const json = JSON.stringify(m);
    expect(json).toContain('150 pt');
    expect(json).toContain(h.config.catalog.plans.free!.name);
    // Granted with a 30-day expiry: the nearest expiry and its points are shown.
    expect(json).toContain('（150 pt）');
  });

  it('buy is a carousel of postbacks; a tap creates exactly one Checkout session', async () => {
    const user = await createTestUser(h.db, ledger, { points: 0 });
    const before = checkouts.length;
    await say(user.lineUserId, '購入');
    const [carousel] = await waitForMessages(user.lineUserId, 1);
    expect(carousel).toMatchObject({ type: 'flex', contents: { type: 'carousel' } });
    expect(checkouts.length).toBe(before);

    await send({
      ...base(user.lineUserId),
      type: 'postback',
      postback: { data: 'action=buy&product=points_500' },
    });
    const [, card] = await waitForMessages(user.lineUserId, 2);
    expect(checkouts.slice(before)).toEqual(['points_500']);
    const uri = /"uri":"([^"]+)"/.exec(JSON.stringify(card))?.[1];
    expect(uri).toMatch(/^https?:\/\//);
    expect(await ledger.getBalance(user.id)).toMatchObject({ balance: 0 });
  });

  it('a sticker gets the friendly reply and a location the polite one, free', async () => {
    const user = await createTestUser(h.db, ledger, { points: 100 });
    const llmBefore = h.llm.requests().length;
    await send({
      ...base(user.lineUserId),
      type: 'message',
      message: {
        type: 'sticker',
        id: '1',
        packageId: '446',
        stickerId: '1988',
        stickerResourceType: 'STATIC',
      },
    });
    await waitForMessages(user.lineUserId, 1);
    await send({
      ...base(user.lineUserId),
      type: 'message',
      message: { type: 'location', id: '2', latitude: 35.68, longitude: 139.76, address: '東京' },
    });
    await waitForMessages(user.lineUserId, 2);
    expect(h.line.textsFor(user.lineUserId)).toEqual([
      h.config.catalog.messages.stickerReply,
      h.config.catalog.messages.unsupportedMessage,
    ]);
    expect(h.llm.requests().length).toBe(llmBefore);
    expect(await ledger.getBalance(user.id)).toMatchObject({ balance: 100 });
    expect(await ledger.getUsage(user.id)).toMatchObject({ remainingCount: 3 });
  });
});
