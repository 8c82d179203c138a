import { Prisma, type Tx } from '../lib/db';
import type { CheckedRecord } from './validate';

/**
 * The statements of a turn's life (point_reservations, ai_chat_usage_logs, usage_records,
 * openai_usages), each a single round trip. They run inside a ledger transaction that holds
 * the user's lock and has already read the state and decided (store.ts); no rule lives here.
 * `day` values are 'YYYY-MM-DD' local days (daily.ts).
 */

/** Takes one slot of `day`, as part of a statement (the CTE `slot`). */
const takeSlotCte = (userId: string, day: string | null, when: boolean, now: Date) => Prisma.sql`
  slot AS (
    INSERT INTO ai_chat_usage_logs (user_id, usage_date, usage_count, created_at, updated_at)
    SELECT ${userId}::uuid, ${day}::date, 1, ${now}::timestamptz, ${now}::timestamptz
    WHERE ${when}::boolean AND ${day}::date IS NOT NULL
    ON CONFLICT (user_id, usage_date) DO UPDATE
      SET usage_count = ai_chat_usage_logs.usage_count + 1, updated_at = EXCLUDED.updated_at
    RETURNING usage_count)`;

/** Reserve: the hold and today's slot; returns the day's new usage count. */
export async function holdTurn(
  tx: Tx,
  h: { userId: string; turnId: string; amount: number; day: string; now: Date },
): Promise<number> {
  const rows = await tx.$queryRaw<{ used: number }[]>`
    WITH hold AS (
      INSERT INTO point_reservations
        (id, user_id, turn_id, amount, status, usage_date, created_at, updated_at)
      VALUES (gen_random_uuid(), ${h.userId}::uuid, ${h.turnId}::text, ${h.amount}::int, 'held',
              ${h.day}::date, ${h.now}::timestamptz, ${h.now}::timestamptz)),
    ${takeSlotCte(h.userId, h.day, true, h.now)}
    SELECT usage_count::int AS "used" FROM slot`;
  const used = rows[0]?.used;
  if (used === undefined) throw new Error('holdTurn: the daily slot was not counted');
  return used;
}

/**
 * Settle: the usage records, the raw usage, and the turn's mark (its reservation row becomes
 * `settled`, or is created so when there was none), plus the daily slot when `takeSlot`.
 * Returns false if the turn ID belongs to another user (nothing is then marked).
 */
export async function recordSettlement(
  tx: Tx,
  s: {
    userId: string;
    turnId: string;
    records: readonly CheckedRecord[];
    rawUsage: unknown;
    metadata: Record<string, unknown>;
    /** usage_date to keep on the reservation (the slot's day when `takeSlot`). */
    usageDate: string | null;
    takeSlot: boolean;
    now: Date;
  },
): Promise<boolean> {
  const { userId, turnId, now } = s;
  const records = s.records.map(
    (r) => Prisma.sql`(
      gen_random_uuid(), ${userId}::uuid, ${turnId}::text, ${r.ioType}::usage_io_type,
      ${r.model}::text, ${r.platform}::text, ${r.tokens}::int, ${r.searchCount}::int,
      ${r.dollars}::numeric, ${r.yen}::numeric, ${r.points}::int, ${r.dollarPerToken}::numeric,
      ${r.dollarPerSearch}::numeric, ${r.yenPerDollar}::numeric, ${r.pointsPerYen}::numeric,
      ${now}::timestamptz, ${r.audioSeconds}::int, ${r.dollarPerAudioSecond}::numeric)`,
  );
  const rows = await tx.$queryRaw<{ marked: number }[]>`
    WITH raw_usage AS (
      INSERT INTO openai_usages (id, usage, metadata, user_id, turn_id, created_at, updated_at)
      VALUES (gen_random_uuid(), ${JSON.stringify(s.rawUsage)}::jsonb,
              ${JSON.stringify(s.metadata)}::jsonb, ${userId}::uuid, ${turnId}::text,
              ${now}::timestamptz, ${now}::timestamptz)),
    records AS (
      INSERT INTO usage_records (id, user_id, turn_id, io_type, model, platform, tokens,
        search_count, dollars, yen, points, dollar_per_token, dollar_per_search, yen_per_dollar,
        points_per_yen, created_at, audio_seconds, dollar_per_audio_second)
      VALUES ${Prisma.join(records, ',\n')}),
    mark AS (
      INSERT INTO point_reservations
        (id, user_id, turn_id, amount, status, usage_date, created_at, updated_at)
      VALUES (gen_random_uuid(), ${userId}::uuid, ${turnId}::text, 0, 'settled',
              ${s.usageDate}::date, ${now}::timestamptz, ${now}::timestamptz)
      ON CONFLICT (turn_id) DO UPDATE
        SET status = 'settled', usage_date = EXCLUDED.usage_date, updated_at = EXCLUDED.updated_at
        WHERE point_reservations.user_id = EXCLUDED.user_id
      RETURNING 1),
    ${takeSlotCte(userId, s.usageDate, s.takeSlot, now)}
    SELECT (SELECT count(*) FROM mark)::int AS "marked"`;
  return rows[0]?.marked === 1;
}

/** Release: ends a hold and gives its daily slot back (never below 0). */
export async function releaseHold(tx: Tx, turnId: string, now: Date): Promise<void> {
  await tx.$executeRaw`
    WITH released AS (
      UPDATE point_reservations SET status = 'released', updated_at = ${now}::timestamptz
      WHERE turn_id = ${turnId}::text AND status = 'held'
      RETURNING user_id, usage_date)
    UPDATE ai_chat_usage_logs c
      SET usage_count = c.usage_count - 1, updated_at = ${now}::timestamptz
    FROM released
    WHERE c.user_id = released.user_id AND c.usage_date = released.usage_date
      AND c.usage_count > 0`;
}

/** Release of a turn with no reservation yet: a tombstone, so a late reserve does nothing. */
export async function releaseTombstone(
  tx: Tx,
  t: { userId: string; turnId: string; now: Date },
): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO point_reservations
      (id, user_id, turn_id, amount, status, usage_date, created_at, updated_at)
    VALUES (gen_random_uuid(), ${t.userId}::uuid, ${t.turnId}::text, 0, 'released', NULL,
            ${t.now}::timestamptz, ${t.now}::timestamptz)`;
}
