import type { Ledger } from '../../ledger';
import { startChatHarness, type ChatHarness } from '../support/chat-harness';
import { signalText } from '../support/session-signal';
import { createTestUser, testLedger } from '../support/users';
import { waitFor } from '../support/workers';

/**
 * Issue #12, observation 4: the admin lookup links each recent turn to the turn's own record
 * in the Temporal Web UI. The link names a workflow that exists (describe() succeeds), a chat
 * turn with the user's search attributes, whose result is the turn's outcome.
 */
describe('chat turn record', () => {
  let h: ChatHarness;
  let ledger: Ledger;

  beforeAll(async () => {
    h = await startChatHarness('turn-record');
    ledger = testLedger(h.db, h.config);
  });
  afterAll(async () => {
    await h?.stop();
  });

  it("links the admin lookup's recent turn to its own workflow, which carries the outcome", async () => {
    const user = await createTestUser(h.db, ledger, { points: 100 });
    await signalText(h, user.lineUserId, 'hello record');
    await waitFor(async () => h.line.textsFor(user.lineUserId).length >= 1, 'the answer');

    const view = await waitFor(async () => {
      const res = await fetch(`${h.apiUrl}/admin/users/${user.lineUserId}`, {
        headers: { authorization: `Bearer ${h.config.env.ADMIN_TOKEN}` },
      });
      const body = (await res.json()) as {
        recentTurns?: Array<{ turnId: string; status: string; temporalUrl: string }>;
      };
      return body.recentTurns?.[0]?.status === 'settled' && body;
    }, 'the settled turn in the admin lookup');
    const [turn] = view.recentTurns!;
    const workflowId = decodeURIComponent(new URL(turn!.temporalUrl).pathname.split('/').at(-1)!);
    expect(workflowId).toBe(turn!.turnId);

    const handle = h.temporal.workflow.getHandle(workflowId);
    const description = await handle.describe();
    expect(description.type).toBe('chatTurn');
    expect(description.searchAttributes).toMatchObject({
      LineUserId: [user.lineUserId],
      WorkKind: ['chat'],
    });
    const result = (await handle.result()) as {
      outcome: string;
      pointsCharged: number;
      summary: string;
    };
    expect(result.outcome).toBe('answered');
    expect(result.pointsCharged).toBeGreaterThan(0);
    expect(result.summary).toMatch(/reserved \d+ pt, model .+, charged \d+ pt, delivered by reply/);
  });
});
