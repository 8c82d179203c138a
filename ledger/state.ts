import type { Lot } from '../domain/ledger';
import type { ReservationStatus, Tx } from '../lib/db';

/**
 * A user's ledger state, read in ONE statement (so one snapshot, one round trip). Inside a
 * ledger transaction it must run after lockUser: under READ COMMITTED each statement takes a
 * fresh snapshot, so this one sees every commit of the user's previous lock holder.
 */
export interface LedgerState {
  /** The turn's reservation, when a turn ID was given and it has one. */
  reservation: {
    userId: string;
    status: ReservationStatus;
    amount: number;
    /** 'YYYY-MM-DD' of the daily slot it took, if any. */
    usageDate: string | null;
  } | null;
  lots: Lot[];
  /** Points held by all of the user's turns in flight (this turn's included). */
  held: number;
  /** usage_count of `day` (0 without a row or without a day). */
  used: number;
}

interface Raw {
  reservation: string | null;
  lots: string;
  held: number;
  used: number;
}

export async function readState(
  tx: Tx,
  userId: string,
  opts: { turnId?: string; day?: string } = {},
): Promise<LedgerState> {
  const rows = await tx.$queryRaw<Raw[]>`
    SELECT
      (SELECT json_build_object('userId', r.user_id::text, 'status', r.status::text,
                                'amount', r.amount, 'usageDate', r.usage_date::text)::text
         FROM point_reservations r WHERE r.turn_id = ${opts.turnId ?? null}::text)
        AS "reservation",
      (SELECT COALESCE(json_agg(json_build_object('id', l.id::text, 'amount', l.amount,
                                'expiresAt', l.expires_at, 'createdAt', l.created_at)),
                       '[]'::json)::text
         FROM point_lots l WHERE l.user_id = ${userId}::uuid)
        AS "lots",
      (SELECT COALESCE(sum(h.amount), 0)::int FROM point_reservations h
         WHERE h.user_id = ${userId}::uuid AND h.status = 'held')
        AS "held",
      (SELECT COALESCE(max(c.usage_count), 0)::int FROM ai_chat_usage_logs c
         WHERE c.user_id = ${userId}::uuid AND c.usage_date = ${opts.day ?? null}::date)
        AS "used"`;
  const row = rows[0];
  if (!row) throw new Error('ledger state query returned no row');
  const lots = (
    JSON.parse(row.lots) as {
      id: string;
      amount: number;
      expiresAt: string | null;
      createdAt: string;
    }[]
  ).map((l): Lot => ({
    id: l.id,
    amount: l.amount,
    expiresAt: l.expiresAt === null ? null : new Date(l.expiresAt),
    createdAt: new Date(l.createdAt),
  }));
  return {
    reservation:
      row.reservation === null ? null : (JSON.parse(row.reservation) as LedgerState['reservation']),
    lots,
    held: row.held,
    used: row.used,
  };
}
