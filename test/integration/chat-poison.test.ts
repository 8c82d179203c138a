import { errorReplyText } from '../../domain/chat-texts';
import type { Ledger } from '../../ledger';
import { chatTurnId } from '../../workflows/support/ids';
import { startChatHarness, type ChatHarness } from '../support/chat-harness';
import { signalText } from '../support/session-signal';
import { createTestUser, testLedger } from '../support/users';
import { waitFor } from '../support/workers';

/**
 * Issue #12, observation 1: a bad message costs one apology, never the user's chat. A NUL that
 * reaches the database (the user's text past intake, signalled straight to the session) fails
 * the settlement deterministically: the turn ends as failed at once, with the hold and the daily
 * slot released, one apology, no charge; a NUL in the model's answer is cleaned before it is
 * archived and sent. Either way the next message is answered.
 */
describe('chat poison messages', () => {
  let h: ChatHarness;
  let ledger: Ledger;

  beforeAll(async () => {
    h = await startChatHarness('poison');
    ledger = testLedger(h.db, h.config);
  });
  afterAll(async () => {
    await h?.stop();
  });

  const texts = (lineUserId: string) => h.line.textsFor(lineUserId);
  const waitForTexts = (lineUserId: string, n: number) =>
    waitFor(async () => texts(lineUserId).length >= n && texts(lineUserId), `${n} replies`, 60_000);

  async function ledgerState(userId: string) {
    const [reservations, usage, balance, replay] = await Promise.all([
      h.db.pointReservation.findMany({ where: { userId } }),
      h.db.aiChatUsageLog.findMany({ where: { userId } }),
      ledger.getBalance(userId),
      ledger.replayCheck(userId),
    ]);
    return { reservations, usage, balance, replay };
  }

  it('apologises once for a NUL in the user text, charges nothing and answers the next message', async () => {
    const user = await createTestUser(h.db, ledger, { points: 100 });
    const bad = await signalText(h, user.lineUserId, 'abc\u0000def');
    const [apology] = await waitForTexts(user.lineUserId, 1);
    expect(apology).toBe(errorReplyText(h.config.catalog, 'SYSTEM_ERROR'));

    const turn = h.temporal.workflow.getHandle(chatTurnId(bad.webhookEventId));
    const result = await turn.result();
    expect(result).toMatchObject({
      outcome: 'failed',
      errorCode: 'DATA_REJECTED',
      failedStep: 'settle',
    });

    const s = await ledgerState(user.id);
    expect(s.reservations.map((r) => r.status)).toEqual(['released']);
    expect(s.usage.every((u) => u.usageCount === 0)).toBe(true);
    expect(s.balance.balance).toBe(100);
    expect(s.replay).toEqual([]);

    await signalText(h, user.lineUserId, 'next question');
    const replies = await waitForTexts(user.lineUserId, 2);
    expect(replies[1]).toContain('了解しました: next question');
    // Still exactly one apology: nothing was retried or sent twice.
    await new Promise((r) => setTimeout(r, 1000));
    expect(texts(user.lineUserId)).toHaveLength(2);
  });

  it('cleans a NUL out of the model answer, archives and sends it, and answers the next message', async () => {
    const user = await createTestUser(h.db, ledger, { points: 100 });
    h.llm.queueReply('clean\u0000answer');
    await signalText(h, user.lineUserId, 'tell me something');
    const [reply] = await waitForTexts(user.lineUserId, 1);
    expect(reply).toBe('cleananswer');

    const s = await waitFor(async () => {
      const state = await ledgerState(user.id);
      return state.reservations[0]?.status === 'settled' && state;
    }, 'settlement');
    expect(s.reservations.filter((r) => r.status === 'held')).toEqual([]);
    expect(s.replay).toEqual([]);
    const archived = await h.db.chatArchive.findMany({
      where: { userId: user.id, role: 'assistant' },
    });
    expect(archived.map((a) => a.content)).toEqual(['cleananswer']);

    await signalText(h, user.lineUserId, 'and another');
    const replies = await waitForTexts(user.lineUserId, 2);
    expect(replies[1]).toContain('了解しました: and another');
  });
});
