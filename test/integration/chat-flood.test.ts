import type { Ledger } from '../../ledger';
import { sessionWorkflowId } from '../../workflows/line-user-session';
import { startChatHarness, type ChatHarness } from '../support/chat-harness';
import { signalText, type TextEvent } from '../support/session-signal';
import { createTestUser, testLedger } from '../support/users';
import { waitFor } from '../support/workers';

/**
 * Issue #12, observation 2: one slow turn, then 300 messages of 5,000 characters (LINE's limit)
 * to one user. The session keeps at most chat.maxWaitingMessages waiting (and their bytes
 * capped); every other message gets the busy reply at once, free. The session stays healthy:
 * every event is answered or politely refused, none is lost, nothing is charged for the refused
 * ones, and the next message is answered.
 */
describe('chat flood', () => {
  let h: ChatHarness;
  let ledger: Ledger;

  beforeAll(async () => {
    h = await startChatHarness('flood');
    ledger = testLedger(h.db, h.config);
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('answers or politely refuses each of 300 long messages behind a slow turn, charging none of the refused', async () => {
    const user = await createTestUser(h.db, ledger, { points: 1000 });
    const { busyReply, maxWaitingMessages } = h.config.catalog.chat;
    await signalText(h, user.lineUserId, 'slow one [[delay:8000]]');
    await waitFor(
      async () => h.llm.requests().some((r) => JSON.stringify(r.messages).includes('slow one')),
      'the slow turn to call the model',
    );

    const flood: TextEvent[] = [];
    for (let i = 0; i < 300; i += 10) {
      const batch = await Promise.all(
        Array.from({ length: 10 }, (_, j) =>
          signalText(h, user.lineUserId, `${i + j}:`.padEnd(5000, 'あ')),
        ),
      );
      flood.push(...batch);
    }
    expect(flood.every((e) => e.text.length === 5000)).toBe(true);

    const texts = await waitFor(
      async () => {
        const all = h.line.textsFor(user.lineUserId);
        return all.length >= 301 && all;
      },
      'an answer or a busy reply to each of 301 messages',
      120_000,
    );
    const refused = texts.filter((t) => t === busyReply);
    expect(refused.length).toBeGreaterThanOrEqual(300 - maxWaitingMessages - 1);
    expect(texts).toHaveLength(301);

    // The session is healthy: it answers the next message like any other.
    await signalText(h, user.lineUserId, 'still there?');
    const after = await waitFor(
      async () => {
        const all = h.line.textsFor(user.lineUserId);
        return all.length >= 302 && all;
      },
      'the answer after the flood',
      60_000,
    );
    expect(after[301]).toContain('了解しました: still there?');
    const session = await h.temporal.workflow
      .getHandle(sessionWorkflowId(user.lineUserId))
      .describe();
    expect(session.status.name).toBe('RUNNING');

    // Only the turns that ran took a daily slot; none is left held.
    const [reservations, usage] = await Promise.all([
      h.db.pointReservation.findMany({ where: { userId: user.id } }),
      h.db.aiChatUsageLog.findMany({ where: { userId: user.id } }),
    ]);
    expect(reservations.filter((r) => r.status === 'held')).toEqual([]);
    expect(reservations.length).toBeLessThanOrEqual(2);
    expect(usage.reduce((n, u) => n + u.usageCount, 0)).toBeLessThanOrEqual(2);
    expect(await ledger.replayCheck(user.id)).toEqual([]);
  }, 240_000);
});
