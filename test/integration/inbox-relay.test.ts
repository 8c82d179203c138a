import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { startInboxRelay, type InboxRelay } from '../../api/inbox-relay';
import type { LineInboundEvent } from '../../domain/line-events';
import type { Db } from '../../lib/db';
import { createLogger } from '../../lib/logger';
import { createMetrics } from '../../lib/metrics';
import { insertInboxEvents } from '../../services/line-inbox';
import { waitFor } from '../support/workers';
import { newDb } from './ledger-fixtures';

/**
 * The relay's rules against the real database, with a Temporal client stand-in whose signals
 * fail on demand: a user's later events wait behind a failed one, other users go on, a row is
 * marked relayed only after its signal went through, and a row too old is given up unsignalled.
 */

let db: Db;
beforeAll(() => {
  db = newDb();
});
afterAll(async () => {
  await db.$disconnect();
});

const text = (lineUserId: string, n: number): LineInboundEvent => ({
  type: 'text',
  webhookEventId: randomUUID(),
  lineUserId,
  timestamp: Date.now(),
  isRedelivery: false,
  text: `m${n}`,
  messageId: String(n),
});

/** Temporal as the relay sees it: records signals; `fail` decides which ones throw. */
function fakeTemporal(fail: (event: LineInboundEvent) => Error | null) {
  const signalled: LineInboundEvent[] = [];
  const client = {
    connection: { withDeadline: (_: number, fn: () => Promise<unknown>) => fn() },
    workflow: {
      async signalWithStart(_: unknown, options: { signalArgs: [LineInboundEvent] }) {
        const [event] = options.signalArgs;
        const error = fail(event);
        if (error) throw error;
        signalled.push(event);
      },
    },
  };
  return { client: client as unknown as Client, signalled };
}

const unavailable = () => Object.assign(new Error('connect ECONNREFUSED'), { code: 14 });

function relayFor(taskQueue: string, temporal: Client, metrics = createMetrics()): InboxRelay {
  return startInboxRelay({
    db,
    temporal,
    logger: createLogger('silent'),
    metrics,
    taskQueue,
    maxRelayAgeMs: 60 * 60_000,
    concurrency: 4,
    pollMs: 50,
    backoffMinMs: 10,
    backoffMaxMs: 50,
  });
}

it("keeps a user's later events behind a failed one and lets other users through", async () => {
  const queue = `t-relay-${randomUUID()}-chat`;
  const [a, b] = ['Ua' + randomUUID(), 'Ub' + randomUUID()];
  const events = [1, 2, 3].flatMap((n) => [text(a, n), text(b, n)]);
  await insertInboxEvents(db, queue, events);

  // A's second event fails three times (Temporal unreachable), then goes through.
  let failures = 0;
  const stuck = events[2]!;
  const temporal = fakeTemporal((e) =>
    e.webhookEventId === stuck.webhookEventId && failures++ < 3 ? unavailable() : null,
  );
  const relay = relayFor(queue, temporal.client);
  try {
    await waitFor(async () => temporal.signalled.length === 6, 'six signals');
  } finally {
    await relay.stop();
  }
  const order = (user: string) =>
    temporal.signalled.filter((e) => e.lineUserId === user).map((e) => e.type === 'text' && e.text);
  expect(order(a)).toEqual(['m1', 'm2', 'm3']);
  expect(order(b)).toEqual(['m1', 'm2', 'm3']);

  const rows = await db.lineInboxEvent.findMany({ where: { taskQueue: queue } });
  expect(rows.every((r) => r.relayedAt !== null)).toBe(true);
  const stuckRow = rows.find((r) => r.webhookEventId === stuck.webhookEventId)!;
  expect(stuckRow.attempts).toBe(4);
  expect(stuckRow.lastError).toMatch(/ECONNREFUSED/);
  expect(stuckRow.lastError).not.toContain('m2');
});

it('gives up an event that could not be relayed within the maximum age, without signalling it', async () => {
  const queue = `t-relay-${randomUUID()}-chat`;
  const user = 'Uc' + randomUUID();
  const [old, fresh] = [text(user, 1), text(user, 2)];
  await insertInboxEvents(db, queue, [old, fresh]);
  await db.lineInboxEvent.update({
    where: { webhookEventId: old.webhookEventId },
    data: { receivedAt: new Date(Date.now() - 2 * 60 * 60_000) },
  });

  const temporal = fakeTemporal(() => null);
  const metrics = createMetrics();
  const relay = relayFor(queue, temporal.client, metrics);
  try {
    await waitFor(async () => temporal.signalled.length === 1, 'the fresh event');
  } finally {
    await relay.stop();
  }
  expect(temporal.signalled.map((e) => e.webhookEventId)).toEqual([fresh.webhookEventId]);
  const gone = await db.lineInboxEvent.findUniqueOrThrow({
    where: { webhookEventId: old.webhookEventId },
  });
  expect(gone).toMatchObject({ relayedAt: null, attempts: 0 });
  expect(gone.givenUpAt).not.toBeNull();
  const counted = await metrics.inboxRelayed.get();
  expect(counted.values.find((v) => v.labels.result === 'given_up')?.value).toBe(1);
});

it('relays rows written by another replica, one relay at a time', async () => {
  const queue = `t-relay-${randomUUID()}-chat`;
  const user = 'Ud' + randomUUID();
  let inFlight = 0;
  let most = 0;
  const signalled: string[] = [];
  const slow = {
    connection: { withDeadline: (_: number, fn: () => Promise<unknown>) => fn() },
    workflow: {
      async signalWithStart(_: unknown, options: { signalArgs: [LineInboundEvent] }) {
        most = Math.max(most, ++inFlight);
        await new Promise((r) => setTimeout(r, 20));
        inFlight--;
        signalled.push(options.signalArgs[0].webhookEventId);
      },
    },
  } as unknown as Client;
  // Two API replicas' relays; the rows arrive without a wake (written elsewhere).
  const relays = [relayFor(queue, slow), relayFor(queue, slow)];
  const events = Array.from({ length: 10 }, (_, i) => text(user, i));
  try {
    await insertInboxEvents(db, queue, events);
    await waitFor(async () => signalled.length >= 10, 'ten signals');
  } finally {
    await Promise.all(relays.map((r) => r.stop()));
  }
  expect(signalled).toEqual(events.map((e) => e.webhookEventId));
  expect(most).toBe(1);
});
