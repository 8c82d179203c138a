import type { Catalog, Plan } from '../config/catalog';
import { BusinessError, invalidInput } from '../domain/errors';
import type { Tx } from '../lib/db';

/** The users row as the ledger needs it, with its seed 003 `privileged-users` flag. */
export interface LedgerUser {
  id: string;
  lineUserId: string;
  planId: string;
  planPeriodEnd: Date | null;
  deletedAt: Date | null;
  privileged: boolean;
}

/**
 * The per-user mutex of every ledger transaction: a row lock on the user.
 *
 * Why a row lock rather than SERIALIZABLE + retry: all of a user's ledger state (lots, holds,
 * the daily counter, grants) is only ever changed under this lock, so transactions of one user
 * queue up and each sees its predecessor's commit (READ COMMITTED takes a fresh snapshot per
 * statement, and the ledger reads its state in a statement AFTER this one); transactions of
 * different users never wait for each other. Under SERIALIZABLE, many concurrent turns of one
 * user (exactly the overspend case) would mostly abort with serialization failures and retry in
 * a storm, and every caller would need a retry loop with backoff; a queue on one row is cheaper,
 * fair and deadlock-free (each transaction takes exactly one user lock, first).
 *
 * `FOR NO KEY UPDATE` rather than `FOR UPDATE`: it excludes other ledger transactions of the
 * user just as well, but does not block inserts elsewhere that reference the user by foreign
 * key (chat archive, stamp jobs), which only take KEY SHARE.
 *
 * The privileged flag rides along (it is not protected by the lock and needs none).
 */
export async function lockUser(tx: Tx, userId: string): Promise<LedgerUser> {
  const rows = await tx.$queryRaw<LedgerUser[]>`
    SELECT u.id::text AS "id", u.line_user_id AS "lineUserId", u.plan_id AS "planId",
           u.plan_period_end AS "planPeriodEnd", u.deleted_at AS "deletedAt",
           EXISTS (SELECT 1 FROM privileged_users p WHERE p.line_user_id = u.line_user_id)
             AS "privileged"
    FROM users u WHERE u.id = ${userId}::uuid
    FOR NO KEY UPDATE OF u`;
  const user = rows[0];
  if (!user) throw unknownUser(userId);
  return user;
}

/** The same without a lock (queries). */
export async function readUser(tx: Tx, userId: string): Promise<LedgerUser> {
  const rows = await tx.$queryRaw<LedgerUser[]>`
    SELECT u.id::text AS "id", u.line_user_id AS "lineUserId", u.plan_id AS "planId",
           u.plan_period_end AS "planPeriodEnd", u.deleted_at AS "deletedAt",
           EXISTS (SELECT 1 FROM privileged_users p WHERE p.line_user_id = u.line_user_id)
             AS "privileged"
    FROM users u WHERE u.id = ${userId}::uuid`;
  const user = rows[0];
  if (!user) throw unknownUser(userId);
  return user;
}

export function unknownUser(userId: string): BusinessError {
  return new BusinessError('UNKNOWN_USER', `unknown user ${userId}`, { userId });
}

/**
 * The plan in force at `now`: `users.plan_id`, except after `plan_period_end` (a paid period
 * that was not renewed), when the catalog's default plan applies. A plan ID missing from the
 * catalog is refused (INVALID_INPUT naming it) rather than silently treated as another plan.
 */
export function effectivePlan(
  user: Pick<LedgerUser, 'planId' | 'planPeriodEnd'>,
  catalog: Pick<Catalog, 'plans' | 'defaultPlan'>,
  now: Date,
): { planId: string; plan: Plan } {
  const lapsed = user.planPeriodEnd !== null && user.planPeriodEnd.getTime() <= now.getTime();
  const planId = lapsed ? catalog.defaultPlan : user.planId;
  const plan = catalog.plans[planId];
  if (!plan) throw invalidInput(`unknown plan ${planId}`, { field: 'planId', planId });
  return { planId, plan };
}
