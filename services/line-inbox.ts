import type { LineWebhookEvent } from '../domain/line-events';
import type { Db, Tx } from '../lib/db';

/**
 * The durable LINE inbox (table line_inbox_events): what the webhook writes before it answers
 * and what the relay (api/inbox-relay.ts) reads back. Database only, no Temporal.
 *
 * Rows are scoped by the session task queue of the API that acknowledged them, so a relay only
 * takes its own deployment's rows (parallel test runs share one database).
 */

/** A row waiting to be handed to its session (the user's, or the group's or room's). */
export interface InboxRow {
  id: bigint;
  /** Null for a group's join and leave. */
  lineUserId: string | null;
  event: LineWebhookEvent;
}

export interface GivenUpRow {
  webhookEventId: string;
  lineUserId: string | null;
}

/**
 * Writes the events in ONE statement, keeping their order (ids follow it). A redelivered event
 * (same webhookEventId) stays one row. Returns how many rows were new.
 */
export async function insertInboxEvents(
  db: Db,
  taskQueue: string,
  events: readonly LineWebhookEvent[],
): Promise<number> {
  if (events.length === 0) return 0;
  const ids = events.map((e) => e.webhookEventId);
  const users = events.map((e) => ('lineUserId' in e ? e.lineUserId : null));
  const bodies = events.map((e) => JSON.stringify(e));
  return db.$executeRaw`
    INSERT INTO line_inbox_events (webhook_event_id, line_user_id, task_queue, event)
    SELECT t.webhook_event_id, t.line_user_id, ${taskQueue}, t.event::jsonb
    FROM unnest(${ids}::text[], ${users}::text[], ${bodies}::text[])
      WITH ORDINALITY AS t(webhook_event_id, line_user_id, event, ord)
    ORDER BY t.ord
    ON CONFLICT (webhook_event_id) DO NOTHING`;
}

/** Namespace of the relay's advisory lock (the second key is the task queue's hash). */
const RELAY_LOCK_CLASS = 0x1b0c;

/**
 * Takes the relay's turn for `taskQueue` until the transaction ends; false when another
 * replica's relay holds it. A transaction-level lock, not a session one: Prisma's pool gives no
 * fixed connection, and the lock then ends with the pass whatever happens to the process.
 */
export async function tryRelayLock(tx: Tx, taskQueue: string): Promise<boolean> {
  const [row] = await tx.$queryRaw<{ locked: boolean }[]>`
    SELECT pg_try_advisory_xact_lock(${RELAY_LOCK_CLASS}::int, hashtext(${taskQueue})) AS locked`;
  return row?.locked === true;
}

/** Marks rows older than `maxAgeMs` that were never relayed as given up; returns them. */
export async function giveUpOldEvents(
  tx: Tx,
  taskQueue: string,
  maxAgeMs: number,
): Promise<GivenUpRow[]> {
  return tx.$queryRaw<GivenUpRow[]>`
    UPDATE line_inbox_events SET given_up_at = clock_timestamp()
    WHERE task_queue = ${taskQueue} AND relayed_at IS NULL AND given_up_at IS NULL
      AND received_at < clock_timestamp() - make_interval(secs => ${maxAgeMs / 1000}::float8)
    RETURNING webhook_event_id AS "webhookEventId", line_user_id AS "lineUserId"`;
}

/** The oldest `limit` rows still waiting, in arrival order. */
export async function waitingEvents(tx: Tx, taskQueue: string, limit: number): Promise<InboxRow[]> {
  return tx.$queryRaw<InboxRow[]>`
    SELECT id, line_user_id AS "lineUserId", event FROM line_inbox_events
    WHERE task_queue = ${taskQueue} AND relayed_at IS NULL AND given_up_at IS NULL
    ORDER BY id LIMIT ${limit}`;
}

/** Marks rows relayed; returns each one's webhook-to-relay lag in seconds. */
export async function markRelayed(tx: Tx, ids: readonly bigint[]): Promise<number[]> {
  if (ids.length === 0) return [];
  const rows = await tx.$queryRaw<{ lag: number }[]>`
    UPDATE line_inbox_events SET relayed_at = clock_timestamp(), attempts = attempts + 1
    WHERE id = ANY(${ids.map(String)}::bigint[])
    RETURNING extract(epoch FROM clock_timestamp() - received_at)::float8 AS lag`;
  return rows.map((r) => Number(r.lag));
}

/** Counts a failed attempt. `error` names the failure; it must never carry message text. */
export async function markFailed(tx: Tx, id: bigint, error: string): Promise<void> {
  await tx.$executeRaw`
    UPDATE line_inbox_events SET attempts = attempts + 1, last_error = ${error.slice(0, 500)}
    WHERE id = ${String(id)}::bigint`;
}

/** Rows still waiting (the backlog gauge). */
export async function countWaiting(tx: Tx, taskQueue: string): Promise<number> {
  const [row] = await tx.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM line_inbox_events
    WHERE task_queue = ${taskQueue} AND relayed_at IS NULL AND given_up_at IS NULL`;
  return row?.n ?? 0;
}
