import type { Catalog } from '../config/catalog';
import type { Clock } from '../domain/clock';
import { usageDate } from '../domain/daily-limit';
import { invalidInput } from '../domain/errors';
import type { RetentionTarget } from '../domain/retention-targets';
import { STAMP_KEY_ROOT } from '../domain/stamp-keys';
import type { Ledger } from '../ledger';
import { Prisma, type Db } from '../lib/db';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/metrics';
import type { StampObjects } from '../services/stamp-objects';
import { toFailure } from './ledger';

/**
 * Data retention (seed 004 データ保持: old usage logs are deleted on a schedule; SPEC "Users
 * and plans": soft-deleted users are purged after a retention period). Run by the
 * `retentionPurge` workflow (workflows/retention-purge.ts) from the daily `retention-purge`
 * schedule (ops/schedules.ts), in bounded batches so no statement holds many locks for long.
 *
 *   chat_archives                         created_at  older than retention.chatArchiveDays
 *   usage_records, openai_usages          created_at  older than retention.usageLogDays
 *   ai_chat_usage_logs                    usage_date  before the local day of that cutoff
 *   users (soft-deleted; cascades)        deleted_at  older than retention.deletedUserDays
 *   processed_events (webhook event IDs)  received_at older than retention.processedEventDays
 *   line_replies (reply-token deliveries) replied_at  older than retention.processedEventDays
 *   line_inbox_events, once relayed       received_at older than retention.lineInboxHours
 *     or given up (they hold message text)
 *   point_reservations still `held`       created_at  older than 1 hour: turns that will never
 *                                                     finish; released through the ledger
 *
 * Kept on purpose: point_lots / point_ledger_logs / point_grants / point_reservations of live
 * users (the ledger's replay invariant and idempotency keys), admin_audit_logs (the audit trail
 * outlives a purged user), privileged_users (operator-managed, by LINE user ID).
 *
 * "Now" is the workflow input's `now` when given, else this worker's clock (injectable), so a
 * test can run the purge "in the future".
 */

/** Holds older than this belong to turns that will never finish (a turn takes seconds). */
export const STALE_HOLD_MS = 60 * 60 * 1000;

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

export interface RetentionPlan {
  /** ISO 8601: the instant the cutoffs are counted from. */
  now: string;
  timeZone: string;
  /** Rows older than these instants (ISO 8601) are purged. */
  cutoffs: Record<RetentionTarget, string>;
  /** ai_chat_usage_logs rows of days before this local day (YYYY-MM-DD) are purged. */
  usageLogDayBefore: string;
  staleHoldsBefore: string;
}

/** The cutoffs for `now` (pure). */
export function retentionPlan(
  now: Date,
  retention: Catalog['retention'],
  timeZone: string,
): RetentionPlan {
  const before = (days: number) => new Date(now.getTime() - days * DAY_MS);
  const usageCutoff = before(retention.usageLogDays);
  return {
    now: now.toISOString(),
    timeZone,
    cutoffs: {
      chat_archives: before(retention.chatArchiveDays).toISOString(),
      usage_records: usageCutoff.toISOString(),
      openai_usages: usageCutoff.toISOString(),
      ai_chat_usage_logs: usageCutoff.toISOString(),
      deleted_users: before(retention.deletedUserDays).toISOString(),
      processed_events: before(retention.processedEventDays).toISOString(),
      line_replies: before(retention.processedEventDays).toISOString(),
      line_inbox_events: new Date(now.getTime() - retention.lineInboxHours * HOUR_MS).toISOString(),
    },
    usageLogDayBefore: usageDate(usageCutoff, timeZone),
    staleHoldsBefore: new Date(now.getTime() - STALE_HOLD_MS).toISOString(),
  };
}

export interface RetentionDeps {
  db: Db;
  ledger: Pick<Ledger, 'releaseStaleHolds'>;
  retention: Catalog['retention'];
  timeZone: string;
  clock: Clock;
  logger: Logger;
  metrics?: Pick<Metrics, 'retentionPurged'>;
  /** The stamp bucket: a purged user's objects go with their rows. */
  objects: Pick<StampObjects, 'deletePrefix'>;
}

export interface PurgeBatchInput {
  target: RetentionTarget;
  plan: RetentionPlan;
  /** At most this many rows (users: this many users, with everything they own). */
  limit: number;
}

const MAX_BATCH = 10_000;

function requireLimit(limit: unknown): number {
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_BATCH)
    throw invalidInput(`limit must be an integer in 1..${MAX_BATCH}`, { field: 'limit' });
  return limit;
}

function requireDate(value: unknown, field: string): Date {
  const date = typeof value === 'string' ? new Date(value) : null;
  if (!date || Number.isNaN(date.getTime()))
    throw invalidInput(`${field} must be an ISO 8601 instant`, { field });
  return date;
}

/**
 * Tables purged by the age of one column: key, age column. Identifiers come from this fixed
 * map only (never from input), so they may be spliced into the statement.
 */
const AGED_TABLES = {
  chat_archives: { key: 'id', age: 'created_at' },
  usage_records: { key: 'id', age: 'created_at' },
  openai_usages: { key: 'id', age: 'created_at' },
  processed_events: { key: 'id', age: 'received_at' },
  line_replies: { key: 'delivery_id', age: 'replied_at' },
} as const satisfies Partial<Record<RetentionTarget, { key: string; age: string }>>;

/** Deletes the oldest `limit` rows of `table` older than `before` (one bounded statement). */
function deleteOlderThan(
  db: Db,
  table: keyof typeof AGED_TABLES,
  before: Date,
  limit: number,
): Promise<number> {
  const t = Prisma.raw(table);
  const key = Prisma.raw(AGED_TABLES[table].key);
  const age = Prisma.raw(AGED_TABLES[table].age);
  return db.$executeRaw`
    DELETE FROM ${t} WHERE ${key} IN (
      SELECT ${key} FROM ${t} WHERE ${age} < ${before}::timestamptz
      ORDER BY ${age} LIMIT ${limit})`;
}

/** One bounded DELETE; returns the number of rows deleted. */
async function deleteBatch(
  db: Db,
  objects: RetentionDeps['objects'],
  input: PurgeBatchInput,
): Promise<number> {
  const limit = requireLimit(input.limit);
  const before = requireDate(input.plan?.cutoffs?.[input.target], `cutoffs.${input.target}`);
  switch (input.target) {
    case 'chat_archives':
    case 'usage_records':
    case 'openai_usages':
    case 'processed_events':
    case 'line_replies':
      return deleteOlderThan(db, input.target, before, limit);
    case 'line_inbox_events':
      // Only rows the relay is done with: a row still waiting is never lost to the purge.
      return db.$executeRaw`
        DELETE FROM line_inbox_events WHERE id IN (
          SELECT id FROM line_inbox_events WHERE received_at < ${before}::timestamptz
            AND (relayed_at IS NOT NULL OR given_up_at IS NOT NULL)
          ORDER BY received_at LIMIT ${limit})`;
    case 'ai_chat_usage_logs': {
      const day = input.plan.usageLogDayBefore;
      if (!/^\d{4}-\d{2}-\d{2}$/.test(day ?? ''))
        throw invalidInput('usageLogDayBefore must be YYYY-MM-DD', { field: 'usageLogDayBefore' });
      return db.$executeRaw`
        DELETE FROM ai_chat_usage_logs WHERE id IN (
          SELECT id FROM ai_chat_usage_logs WHERE usage_date < ${day}::date
          ORDER BY usage_date LIMIT ${limit})`;
    }
    case 'deleted_users': {
      const users = await db.$queryRaw<Array<{ id: string }>>`
        SELECT id::text FROM users WHERE deleted_at IS NOT NULL AND deleted_at < ${before}::timestamptz
        ORDER BY deleted_at LIMIT ${limit}`;
      if (users.length === 0) return 0;
      // Their S3 objects first (stamps/<userId>/..., domain/stamp-keys.ts): a failure here
      // fails the batch before any row goes, so the next attempt still knows whose they were.
      for (const { id } of users) await objects.deletePrefix(`${STAMP_KEY_ROOT}/${id}/`);
      // The condition is re-checked on the locked row: a user who followed again (and so was
      // undeleted) in between is kept. ON DELETE CASCADE takes everything the user owns.
      const ids = users.map((u) => u.id);
      return db.$executeRaw`
        DELETE FROM users u WHERE u.id = ANY(${ids}::uuid[])
        AND u.deleted_at IS NOT NULL AND u.deleted_at < ${before}::timestamptz`;
    }
    default:
      throw invalidInput(`unknown retention target ${String(input.target)}`, { field: 'target' });
  }
}

export function createRetentionActivities(deps: RetentionDeps) {
  const { db, ledger, clock, logger, metrics } = deps;
  const run = async <T>(op: () => Promise<T>): Promise<T> => {
    try {
      return await op();
    } catch (err) {
      throw toFailure(err);
    }
  };

  return {
    /** The cutoffs, from the given instant or this worker's clock. */
    async retentionPlan(input: { now?: string | null } = {}): Promise<RetentionPlan> {
      return run(async () => {
        const now = input?.now ? requireDate(input.now, 'now') : clock.now();
        return retentionPlan(now, deps.retention, deps.timeZone);
      });
    },

    /** Deletes at most `limit` rows of `target` older than its cutoff. */
    async purgeRetentionBatch(input: PurgeBatchInput): Promise<{ deleted: number }> {
      return run(async () => {
        const deleted = await deleteBatch(db, deps.objects, input);
        if (deleted > 0) {
          metrics?.retentionPurged.inc({ target: input.target }, deleted);
          logger.info({ target: input.target, deleted }, 'retention purge batch');
        }
        return { deleted };
      });
    },

    /** Releases holds of turns that never finished (ledger: gives the points and slot back). */
    async releaseStaleHoldsBatch(input: {
      olderThan: string;
      limit: number;
    }): Promise<{ released: number }> {
      return run(async () => {
        const { released } = await ledger.releaseStaleHolds({
          olderThan: requireDate(input?.olderThan, 'olderThan'),
          limit: requireLimit(input?.limit),
        });
        if (released.length > 0) {
          metrics?.retentionPurged.inc({ target: 'stale_holds' }, released.length);
          logger.warn({ released: released.length }, 'stale holds released');
        }
        return { released: released.length };
      });
    },
  };
}

export type RetentionActivities = ReturnType<typeof createRetentionActivities>;
