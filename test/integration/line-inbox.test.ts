import type { Ledger } from '../../ledger';
import { writeCatalogVariant, type CatalogVariant } from '../support/catalog-variant';
import { startChatHarness, type ChatHarness } from '../support/chat-harness';
import { textEvent } from '../support/line-webhook';
import { createTestUser, testLedger } from '../support/users';
import { waitFor } from '../support/workers';

/**
 * The durable LINE inbox (api/routes/line-webhook.ts writes it, api/inbox-relay.ts hands it to
 * the sessions): a webhook body of 300 events is one INSERT and an immediate 200; every event
 * is answered once, in each user's order; a redelivery stays one row and one answer.
 */
describe('LINE inbox', () => {
  let h: ChatHarness;
  let ledger: Ledger;
  let catalog: CatalogVariant;

  beforeAll(async () => {
    // A user's last message may start its turn late in the burst: its slow answer gets the
    // 「回答を受け取る」 notice (workflows/chat-turn-collect.ts); nobody taps here, so the answer is
    // pushed after a second instead of the catalog's ten minutes.
    catalog = writeCatalogVariant((c) => {
      c.chat.collectWaitSeconds = 1;
    });
    // Ten turns at once: 100 sessions' turns at once on two shared cores would each outlast the
    // session's workflow-task timeout (10 s) and be retried over and over.
    h = await startChatHarness('inbox', {
      env: { CHAT_TURNS_PER_WORKER: '10', CATALOG_FILE: catalog.file },
    });
    ledger = testLedger(h.db, h.config);
  });
  afterAll(async () => {
    await h?.stop();
    catalog?.remove();
  });
  /** The answers, without a notice a late turn sent before its answer. */
  const answers = (lineUserId: string) =>
    h.line.textsFor(lineUserId).filter((t) => t !== h.config.catalog.chat.answerNotice);

  const inboxRows = (webhookEventIds: string[]) =>
    h.db.lineInboxEvent.findMany({ where: { webhookEventId: { in: webhookEventIds } } });

  it('acknowledges 300 events from 100 users at once and answers each once, in order', async () => {
    const users = await Promise.all(
      Array.from({ length: 100 }, () =>
        createTestUser(h.db, ledger, { points: 1000, planId: 'basic' }),
      ),
    );
    // Three messages per user, interleaved across users as LINE would batch them.
    const events = [1, 2, 3].flatMap((n) =>
      users.map((u) =>
        textEvent(u.lineUserId, `質問${n} ${u.lineUserId.slice(-6)}`, {
          replyToken: h.line.issueReplyToken({ userId: u.lineUserId }),
        }),
      ),
    );
    const res = await h.send(events);
    expect(res.status).toBe(200);

    // All 300 are durable once the webhook has answered.
    const rows = await inboxRows(events.map((e) => e.webhookEventId));
    expect(rows).toHaveLength(300);

    await waitFor(
      async () => users.every((u) => answers(u.lineUserId).length >= 3),
      'three answers for each of 100 users',
      240_000,
    );
    for (const u of users) {
      expect(answers(u.lineUserId).map((t) => /質問(\d)/.exec(t)?.[1])).toEqual(['1', '2', '3']);
    }
    const relayed = await inboxRows(events.map((e) => e.webhookEventId));
    expect(relayed.filter((r) => r.relayedAt === null)).toEqual([]);
    expect(relayed.every((r) => r.lastError === null)).toBe(true);
  }, 300_000);

  it('keeps a redelivered event as one row and one answer', async () => {
    const user = await createTestUser(h.db, ledger, { points: 1000, planId: 'basic' });
    const first = textEvent(user.lineUserId, '質問1 once', {
      replyToken: h.line.issueReplyToken({ userId: user.lineUserId }),
    });
    expect((await h.send([first])).status).toBe(200);
    await waitFor(async () => h.line.textsFor(user.lineUserId).length >= 1, 'the first answer');

    // LINE redelivers the same event (same webhookEventId), twice in one body.
    const again = { ...first, deliveryContext: { isRedelivery: true } };
    expect((await h.send([again, again])).status).toBe(200);
    expect(await inboxRows([first.webhookEventId])).toHaveLength(1);

    // A later message is answered after it: had the redelivery made a turn, it would come first.
    const next = textEvent(user.lineUserId, '質問2 next', {
      replyToken: h.line.issueReplyToken({ userId: user.lineUserId }),
    });
    expect((await h.send([next])).status).toBe(200);
    await waitFor(async () => h.line.textsFor(user.lineUserId).length >= 2, 'the second answer');
    expect(h.line.textsFor(user.lineUserId).map((t) => /質問(\d)/.exec(t)?.[1])).toEqual([
      '1',
      '2',
    ]);
  }, 120_000);
});
