import { Client as PgClient } from 'pg';
import { TaskQueues } from '../../config/task-queues';
import { startBillingHarness, type BillingHarness } from '../support/billing-harness';
import { checkoutSession, stripeEvent, stripeId } from '../support/stripe-events';
import { spawnWorkerProcess, waitFor, type WorkerProcess } from '../support/workers';

/**
 * The grant survives its worker being SIGKILLed, with exactly one grant: the worker runs as a
 * child process (workers/main.ts) and is killed at two chosen moments of the workflow.
 */
describe('grant workflow durability', () => {
  let h: BillingHarness;
  const children: WorkerProcess[] = [];

  beforeAll(async () => {
    h = await startBillingHarness('billing-kill', { worker: false });
  });
  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.child.exitCode === null && child.child.signalCode === null) {
        child.child.kill('SIGTERM');
        await child.exited;
      }
    }
  });
  afterAll(async () => {
    await h.stop();
  });

  async function spawnWorker(): Promise<WorkerProcess> {
    const worker = await spawnWorkerProcess(h.childEnv, [TaskQueues.billing]);
    children.push(worker);
    return worker;
  }

  async function kill(worker: WorkerProcess): Promise<void> {
    worker.child.kill('SIGKILL');
    await worker.exited;
  }

  /** A points purchase by a user whose Stripe customer is already linked. */
  async function purchase() {
    const user = await h.newUser();
    const customerId = stripeId('cus');
    await h.db.user.update({ where: { id: user.id }, data: { stripeCustomerId: customerId } });
    const session = checkoutSession({
      metadata: { userId: user.id, productId: 'points_500', lineUserId: user.lineUserId },
      mode: 'payment',
      amountTotal: 500,
      customerId,
    });
    return { user, event: stripeEvent('checkout.session.completed', session) };
  }

  async function grantedOnce(userId: string) {
    expect(await h.db.pointGrant.count({ where: { userId } })).toBe(1);
    expect((await h.ledger.getBalance(userId)).balance).toBe(500);
    expect(await h.db.pointLot.count({ where: { userId } })).toBe(1);
    expect(await h.ledger.replayCheck(userId)).toEqual([]);
  }

  async function activitiesScheduled(eventId: string, type: string): Promise<number> {
    const history = await h.handle(eventId).fetchHistory();
    return (history.events ?? []).filter(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === type,
    ).length;
  }

  it('killed INSIDE the grant activity (its ledger transaction waiting for the user’s row lock): exactly one grant', async () => {
    const { user, event } = await purchase();
    // Hold the user's ledger lock so that the grant activity is caught mid-transaction.
    const blocker = new PgClient({ connectionString: h.config.env.DATABASE_URL });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('SELECT id FROM users WHERE id = $1 FOR NO KEY UPDATE', [user.id]);
      const blockerPid = (await blocker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid'))
        .rows[0]!.pid;

      const first = await spawnWorker();
      expect((await h.deliver(event)).status).toBe(200);
      await waitFor(async () => {
        const d = await h.handle(event.id).describe();
        const grant = d.raw.pendingActivities?.find(
          (a) => a.activityType?.name === 'grantPurchase',
        );
        if (!grant?.lastStartedTime) return false;
        const waiting = await h.db.$queryRaw<{ n: number }[]>`
          SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE ${blockerPid}::int = ANY(pg_blocking_pids(pid))`;
        return (waiting[0]?.n ?? 0) > 0;
      }, 'the grant activity to wait inside its ledger transaction');

      await kill(first);
      await blocker.query('COMMIT');
    } finally {
      await blocker.end();
    }
    // The dead attempt's transaction never committed: nothing granted yet.
    expect(await h.db.pointGrant.count({ where: { userId: user.id } })).toBe(0);

    // A new worker: the lost attempt times out (start-to-close) and is retried, once.
    await spawnWorker();
    const result = await h.handle(event.id).result();
    expect(result).toMatchObject({ changed: true, points: 500, notified: true });
    await grantedOnce(user.id);
    expect(await activitiesScheduled(event.id, 'grantPurchase')).toBe(1);
  }, 120_000);

  it('killed right after the grant completed, before the notice: the grant is not redone, the notice goes once', async () => {
    const { user, event } = await purchase();
    // LINE accepts the first pushes but answers 500, so the workflow is still at its notice step
    // when it is killed; the retries carry the same X-Line-Retry-Key (derived from the grant).
    h.line.failNext('/v2/bot/message/push', 500, 3, { applyEffect: true });

    const first = await spawnWorker();
    expect((await h.deliver(event)).status).toBe(200);
    await waitFor(async () => {
      const history = await h.handle(event.id).fetchHistory();
      const events = history.events ?? [];
      const scheduled = events.find(
        (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'grantPurchase',
      );
      return (
        scheduled &&
        events.some(
          (e) =>
            e.activityTaskCompletedEventAttributes &&
            String(e.activityTaskCompletedEventAttributes.scheduledEventId) ===
              String(scheduled.eventId),
        )
      );
    }, 'the grant activity to complete');
    await kill(first);
    await grantedOnce(user.id);

    await spawnWorker();
    const result = await h.handle(event.id).result();
    expect(result).toMatchObject({ changed: true, points: 500, notified: true });
    await grantedOnce(user.id);
    expect(await activitiesScheduled(event.id, 'grantPurchase')).toBe(1);
    const pushes = h.line.received({ userId: user.lineUserId, kind: 'push' });
    expect(pushes).toHaveLength(1);
    expect(pushes[0]?.messages?.[0]?.text).toContain('500ポイントを付与しました');
  }, 120_000);
});
