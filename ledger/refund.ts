import { planGrant } from '../domain/ledger';
import { invalidInput } from '../domain/errors';
import type { Tx } from '../lib/db';
import { chargedFor, writePlan } from './lots';
import { readState } from './state';
import type { RefundTurnInput, RefundTurnResult } from './types';
import { requireKey, requireUserId } from './validate';

/** Puts a settled turn's charge back (its answer could not be delivered). */
export type RefundTurn = (input: RefundTurnInput) => Promise<RefundTurnResult>;

/** The store's transaction under the user's row lock (store.ts withUserLock). */
type WithUserLock = <T>(
  userId: string,
  fn: (tx: Tx, user: unknown, now: Date) => Promise<T>,
) => Promise<T>;

/** The ledger's refundTurn: input checked before the transaction, then refundSettledTurn. */
export function refundTurnWith(withUserLock: WithUserLock): RefundTurn {
  return (input) => {
    const turnId = requireKey(input?.turnId, 'turnId');
    const userId = requireUserId(input?.userId);
    return withUserLock(userId, (tx, _user, now) => refundSettledTurn(tx, { userId, turnId, now }));
  };
}

/**
 * Puts a settled turn's charge back (its answer never reached the user), inside a ledger
 * transaction holding the user's lock (store.ts). The points return as one lot that never
 * expires (after paying any debt first, as every grant does), logged with reason `refund` and
 * the turn ID as ref. Idempotent by the turn: the refund rows already logged for it are the
 * marker, so a retried activity puts nothing back twice. The usage records stay (the model
 * did answer: a cost to us) and so does the daily slot.
 */
export async function refundSettledTurn(
  tx: Tx,
  t: { userId: string; turnId: string; now: Date },
): Promise<RefundTurnResult> {
  const { userId, turnId, now } = t;
  const { reservation, lots } = await readState(tx, userId, { turnId });
  if (!reservation) return { refunded: false, status: 'unknown', pointsRefunded: 0 };
  if (reservation.userId !== userId)
    throw invalidInput('turnId belongs to another user', { field: 'turnId' });
  if (reservation.status !== 'settled')
    return { refunded: false, status: reservation.status, pointsRefunded: 0 };
  const before = await refundedFor(tx, userId, turnId);
  if (before > 0) return { refunded: false, status: 'refunded', pointsRefunded: before };
  const charged = await chargedFor(tx, userId, turnId);
  if (charged === 0) return { refunded: false, status: 'settled', pointsRefunded: 0 };
  await writePlan(tx, lots, planGrant(lots, charged, null), {
    userId,
    now,
    ref: turnId,
    reason: () => 'refund',
  });
  return { refunded: true, status: 'refunded', pointsRefunded: charged };
}

/** Points already put back for a turn (the sum of its `refund` log rows). */
async function refundedFor(tx: Tx, userId: string, turnId: string): Promise<number> {
  const rows = await tx.$queryRaw<{ refunded: number }[]>`
    SELECT COALESCE(sum(delta), 0)::int AS "refunded" FROM point_ledger_logs
    WHERE user_id = ${userId}::uuid AND ref = ${turnId}::text AND reason = 'refund'`;
  return rows[0]?.refunded ?? 0;
}
