import { randomUUID } from 'node:crypto';
import { createLineEventActivities } from '../../activities/line-events';
import type { Db } from '../../lib/db';
import { newDb } from './ledger-fixtures';

/**
 * The claim that keeps a redelivered LINE event from being handled twice, even by a session
 * run that never saw it (activities/line-events.ts): the first run owns the event; its own
 * replays may go on, every other run is refused.
 */

let db: Db;

beforeAll(() => {
  db = newDb();
});

afterAll(async () => {
  await db.$disconnect();
});

const claimFor = (webhookEventId: string, runId: string) => ({
  webhookEventId,
  eventType: 'text',
  workflowId: 'line-user-Utest',
  runId,
});

it('lets the first run claim an event, again on its replays, and no other run', async () => {
  const { claimLineEvent } = createLineEventActivities({ db });
  const eventId = randomUUID();
  const [first, second] = [randomUUID(), randomUUID()];

  expect(await claimLineEvent(claimFor(eventId, first))).toEqual({ claimed: true });
  expect(await claimLineEvent(claimFor(eventId, first))).toEqual({ claimed: true });
  expect(await claimLineEvent(claimFor(eventId, second))).toEqual({ claimed: false });
  expect(await claimLineEvent({ ...claimFor(eventId, first), workflowId: 'other' })).toEqual({
    claimed: false,
  });

  const rows = await db.processedEvent.findMany({ where: { source: 'line', eventId } });
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({ eventType: 'text', runId: first });
});

it('gives concurrent claims of one event to exactly one run', async () => {
  const { claimLineEvent } = createLineEventActivities({ db });
  const eventId = randomUUID();
  const runs = Array.from({ length: 8 }, () => randomUUID());
  const results = await Promise.all(runs.map((run) => claimLineEvent(claimFor(eventId, run))));
  expect(results.filter((r) => r.claimed)).toHaveLength(1);
});
