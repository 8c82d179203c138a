import { loadConfig } from '../../config';
import type { Ledger } from '../../ledger';
import { chatTurnId } from '../../workflows/support/ids';
import { writeCatalogVariant, type CatalogVariant } from '../support/catalog-variant';
import { startChatHarness, type ChatHarness } from '../support/chat-harness';
import { signalText } from '../support/session-signal';
import { createTestUser, testLedger } from '../support/users';
import { waitFor } from '../support/workers';

/**
 * Issue #12's overload rule: no turn is charged without its answer delivered. When LINE refuses
 * the settled answer for good (reply and push), or it is still undelivered after
 * chat.maxDeliveryWaitSeconds (3 s here), the turn puts its charge back (a `refund` row by the
 * turn ID), tells the user, ends as failed at `reply`, and the next message is answered.
 */
describe('chat answer that cannot be delivered', () => {
  let h: ChatHarness;
  let ledger: Ledger;
  let catalog: CatalogVariant;

  beforeAll(async () => {
    catalog = writeCatalogVariant((c) => {
      c.chat.maxDeliveryWaitSeconds = 3;
    });
    h = await startChatHarness('undelivered', { env: { CATALOG_FILE: catalog.file } });
    ledger = testLedger(h.db, h.config);
  });
  afterAll(async () => {
    await h?.stop();
    catalog?.remove();
  });

  const texts = (lineUserId: string) => h.line.textsFor(lineUserId);
  const undelivered = (points: number) =>
    loadConfig({ ...process.env, ...h.childEnv }).catalog.chat.undeliveredReply.replaceAll(
      '{points}',
      String(points),
    );

  /** The turn's result, once its session has started it. */
  async function turnResult(turnId: string) {
    const handle = h.temporal.workflow.getHandle(turnId);
    await waitFor(
      () =>
        handle.describe().then(
          () => true,
          () => false,
        ),
      'the turn',
      60_000,
    );
    return handle.result();
  }

  async function charges(userId: string, turnId: string) {
    const rows = await h.db.pointLedgerLog.findMany({ where: { userId, ref: turnId } });
    const sum = (reason: string) =>
      rows.filter((r) => r.reason === reason).reduce((n, r) => n + r.delta, 0);
    return { charged: -sum('charge'), refunded: sum('refund') };
  }

  it('LINE refuses reply and push for good: the charge is put back and the user told', async () => {
    const user = await createTestUser(h.db, ledger, { points: 100 });
    h.line.failNext('/v2/bot/message/reply', 400, 1);
    h.line.failNext('/v2/bot/message/push', 403, 1);
    const event = await signalText(h, user.lineUserId, 'question');
    const result = await turnResult(chatTurnId(event.webhookEventId));
    expect(result).toMatchObject({ outcome: 'failed', failedStep: 'reply' });
    expect(result.errorCode).toBe('LINE_REJECTED');
    expect(result.summary).toContain('put back');

    const money = await charges(user.id, chatTurnId(event.webhookEventId));
    expect(money.charged).toBeGreaterThan(0);
    expect(money.refunded).toBe(money.charged);
    expect((await ledger.getBalance(user.id)).balance).toBe(100);
    expect(await ledger.replayCheck(user.id)).toEqual([]);
    expect(texts(user.lineUserId)).toEqual([undelivered(money.charged)]);

    await signalText(h, user.lineUserId, 'next question');
    await waitFor(async () => texts(user.lineUserId).length >= 2, 'the next answer', 60_000);
    expect(texts(user.lineUserId)[1]).toContain('了解しました: next question');
  });

  it('LINE failing past chat.maxDeliveryWaitSeconds: the charge is put back, the user told', async () => {
    const user = await createTestUser(h.db, ledger, { points: 100 });
    h.line.failNext('/v2/bot/message/reply', 500, 1000);
    h.line.failNext('/v2/bot/message/push', 500, 1000);
    const event = await signalText(h, user.lineUserId, 'question');
    const turnId = chatTurnId(event.webhookEventId);
    const money = await waitFor(
      async () => {
        const m = await charges(user.id, turnId);
        return m.refunded > 0 && m;
      },
      'the refund',
      60_000,
    );
    expect(money.refunded).toBe(money.charged);
    h.line.reset(); // LINE is back (for the notice's next attempt)
    const result = await turnResult(turnId);
    expect(result).toMatchObject({ outcome: 'failed', failedStep: 'reply' });
    expect(result.summary).toContain('put back');
    expect((await ledger.getBalance(user.id)).balance).toBe(100);
    expect(await ledger.replayCheck(user.id)).toEqual([]);
    // The answer never went out (the notice may or may not have: its retries after LINE came
    // back count a failed reply-token attempt as possibly delivered).
    expect(texts(user.lineUserId).some((t) => t.includes('了解しました'))).toBe(false);
    expect(await h.db.pointReservation.count({ where: { userId: user.id, status: 'held' } })).toBe(
      0,
    );
  }, 120_000);
});
