import { randomUUID } from 'node:crypto';
import { BusinessError } from '../domain/errors';
import { applyPlan, logRowsFor, type LedgerPlan, type Lot, type LotChange } from '../domain/ledger';
import { Prisma, type PointLogReason, type Tx } from '../lib/db';

/**
 * Writing a plan of domain/ledger (planCharge, planGrant, planAdjust) to point_lots, with one
 * point_ledger_logs row per change, inside a ledger transaction (the user row is locked, see
 * users.ts). No rule lives here: the pure functions decide, this file writes.
 */

export interface WritePlanOptions {
  userId: string;
  now: Date;
  /** point_ledger_logs.ref: the turn ID or the grant's source ref. */
  ref: string;
  reason: (change: LotChange) => PointLogReason;
  /** point_lots.source_ref of created lots. */
  sourceRef?: string;
}

const cte = (i: number) => Prisma.raw(`change_${i}`);

/**
 * Writes `plan` and its log rows in ONE statement; returns the lots after it. The plan is first
 * applied in memory (domain applyPlan refuses a plan that does not fit the lots), and every
 * UPDATE/DELETE also checks the amount it expects, so a lot changed behind the lock's back (a
 * bug, or a writer that skipped the lock) aborts the transaction with SYSTEM_ERROR instead of
 * being overwritten. Log rows are inserted in plan order, so their ids replay in write order.
 */
export async function writePlan(
  tx: Tx,
  lots: readonly Lot[],
  plan: LedgerPlan,
  opts: WritePlanOptions,
): Promise<Lot[]> {
  if (plan.length === 0) return [...lots];
  const ids = new Map<string, string>();
  const idFor = (tempId: string) => {
    let id = ids.get(tempId);
    if (!id) ids.set(tempId, (id = randomUUID()));
    return id;
  };
  const after = applyPlan(lots, plan, opts.now, idFor);
  const { userId, now, ref } = opts;

  const changes = plan.map((c, i) => {
    switch (c.kind) {
      case 'create':
        return Prisma.sql`${cte(i)} AS (
          INSERT INTO point_lots (id, user_id, amount, expires_at, source_ref, created_at, updated_at)
          VALUES (${idFor(c.tempId)}::uuid, ${userId}::uuid, ${c.amount}::int,
                  ${c.expiresAt}::timestamptz, ${opts.sourceRef ?? null}::text,
                  ${now}::timestamptz, ${now}::timestamptz)
          RETURNING 1)`;
      case 'update':
        return Prisma.sql`${cte(i)} AS (
          UPDATE point_lots SET amount = ${c.amountAfter}::int,
                                expires_at = ${c.expiresAt}::timestamptz,
                                updated_at = ${now}::timestamptz
          WHERE id = ${c.lotId}::uuid AND user_id = ${userId}::uuid
            AND amount = ${c.amountAfter - c.delta}::int
          RETURNING 1)`;
      case 'delete':
        return Prisma.sql`${cte(i)} AS (
          DELETE FROM point_lots
          WHERE id = ${c.lotId}::uuid AND user_id = ${userId}::uuid AND amount = ${-c.delta}::int
          RETURNING 1)`;
    }
  });
  const logs = logRowsFor(plan, idFor).map(
    (row, i) => Prisma.sql`(
      ${userId}::uuid, ${row.lotId}::uuid, ${row.delta}::int, ${row.lotAmountAfter}::int,
      ${row.lotExpiresAt}::timestamptz, ${opts.reason(plan[i] as LotChange)}::point_log_reason,
      ${ref}::text, ${now}::timestamptz)`,
  );
  const counted = Prisma.join(
    plan.map((_, i) => Prisma.sql`(SELECT count(*) FROM ${cte(i)})`),
    ' + ',
  );
  const rows = await tx.$queryRaw<{ changed: number }[]>`
    WITH ${Prisma.join(changes, ',\n')},
    logged AS (
      INSERT INTO point_ledger_logs
        (user_id, lot_id, delta, lot_amount_after, lot_expires_at, reason, ref, created_at)
      VALUES ${Prisma.join(logs, ',\n')}
      RETURNING 1)
    SELECT (${counted})::int AS "changed"`;
  if (rows[0]?.changed !== plan.length)
    throw new BusinessError(
      'SYSTEM_ERROR',
      `point lots of user ${userId} changed outside the ledger lock`,
    );
  return after;
}

/** Points a turn took from the lots (the sum of its `charge` log rows). */
export async function chargedFor(tx: Tx, userId: string, turnId: string): Promise<number> {
  const rows = await tx.$queryRaw<{ charged: number }[]>`
    SELECT COALESCE(-sum(delta), 0)::int AS "charged" FROM point_ledger_logs
    WHERE user_id = ${userId}::uuid AND ref = ${turnId}::text AND reason = 'charge'`;
  return rows[0]?.charged ?? 0;
}
