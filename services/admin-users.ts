import { randomUUID } from 'node:crypto';
import type { Catalog } from '../config/catalog';
import type { Clock } from '../domain/clock';
import { invalidInput } from '../domain/errors';
import { lockUser } from '../ledger/users';
import type { Db } from '../lib/db';
import type { Metrics } from '../lib/metrics';
import { AUDIT_ACTIONS, writeAudit } from './admin-audit';
import { unknownLineUser } from './admin-user-view';

/**
 * Operator changes the admin API makes directly (plan, privileged users): each change and its
 * audit row are ONE transaction (under the user's ledger lock for a plan change). Point grants
 * and adjustments go through the ledger instead, in the adminAdjustPoints workflow
 * (activities/admin.ts).
 */

export interface SetPlanInput {
  lineUserId: string;
  planId: string;
  /** End of the period; null = no end (the plan stays until changed). */
  periodEnd: Date | null;
  actor: string;
  reason?: string | null;
}

export interface PlanState {
  planId: string;
  planPeriodEnd: string | null;
}

export interface ChangeResult<T> {
  changed: boolean;
  before: T | null;
  after: T | null;
}

/**
 * Sets a user's plan (and period end) and audits it, in one transaction under the user's
 * ledger lock (so no chat turn reads a half-made change). A later Stripe subscription event
 * for the user may set the plan again: the paid subscription stays the source of truth.
 */
export async function setUserPlan(
  deps: {
    db: Db;
    catalog: Pick<Catalog, 'plans'>;
    clock?: Clock;
    metrics?: Pick<Metrics, 'adminActions'>;
  },
  input: SetPlanInput,
): Promise<ChangeResult<PlanState> & { userId: string; auditId: string | null }> {
  const now = (deps.clock ?? { now: () => new Date() }).now();
  if (!Object.prototype.hasOwnProperty.call(deps.catalog.plans, input.planId))
    throw invalidInput(`unknown plan "${input.planId}"`, { field: 'planId' });
  if (input.periodEnd && input.periodEnd.getTime() <= now.getTime())
    throw invalidInput('periodEnd must be in the future', { field: 'periodEnd' });
  const found = await deps.db.user.findUnique({
    where: { lineUserId: input.lineUserId },
    select: { id: true },
  });
  if (!found) throw unknownLineUser(input.lineUserId);

  const result = await deps.db.$transaction(async (tx) => {
    const user = await lockUser(tx, found.id);
    const before: PlanState = {
      planId: user.planId,
      planPeriodEnd: user.planPeriodEnd?.toISOString() ?? null,
    };
    const after: PlanState = {
      planId: input.planId,
      planPeriodEnd: input.periodEnd?.toISOString() ?? null,
    };
    if (before.planId === after.planId && before.planPeriodEnd === after.planPeriodEnd)
      return { changed: false, before, after, userId: user.id, auditId: null };
    await tx.user.update({
      where: { id: user.id },
      data: { planId: input.planId, planPeriodEnd: input.periodEnd },
    });
    // The audit row's ID names the change: its LINE notice is keyed by it.
    const auditId = randomUUID();
    await writeAudit(tx, {
      id: auditId,
      actor: input.actor,
      action: AUDIT_ACTIONS.setPlan,
      targetUserId: user.id,
      before,
      after,
      reason: input.reason,
      at: now,
    });
    return { changed: true, before, after, userId: user.id, auditId };
  });
  if (result.changed) deps.metrics?.adminActions.inc({ action: AUDIT_ACTIONS.setPlan });
  return result;
}

// ---------------------------------------------------------------------------------------
// Privileged users (seed 003 privileged-users)
// ---------------------------------------------------------------------------------------

export interface PrivilegedState {
  lineUserId: string;
  note: string | null;
  createdBy: string;
  createdAt: string;
}

const privilegedState = (p: {
  lineUserId: string;
  note: string | null;
  createdBy: string;
  createdAt: Date;
}): PrivilegedState => ({
  lineUserId: p.lineUserId,
  note: p.note,
  createdBy: p.createdBy,
  createdAt: p.createdAt.toISOString(),
});

/**
 * Makes a LINE user privileged (a user may be listed before first contact). Listing someone
 * already listed changes nothing (and writes no audit row).
 */
export async function addPrivilegedUser(
  deps: { db: Db; clock?: Clock; metrics?: Pick<Metrics, 'adminActions'> },
  input: { lineUserId: string; note?: string | null; actor: string },
): Promise<ChangeResult<PrivilegedState>> {
  const now = (deps.clock ?? { now: () => new Date() }).now();
  const result = await deps.db.$transaction(async (tx) => {
    // ON CONFLICT DO NOTHING: of two concurrent adds exactly one inserts (and audits).
    const { count } = await tx.privilegedUser.createMany({
      data: [
        {
          lineUserId: input.lineUserId,
          note: input.note ?? null,
          createdBy: input.actor,
          createdAt: now,
        },
      ],
      skipDuplicates: true,
    });
    const row = await tx.privilegedUser.findUniqueOrThrow({
      where: { lineUserId: input.lineUserId },
    });
    if (count === 0)
      return { changed: false, before: privilegedState(row), after: privilegedState(row) };
    const user = await tx.user.findUnique({
      where: { lineUserId: input.lineUserId },
      select: { id: true },
    });
    const after = privilegedState(row);
    await writeAudit(tx, {
      actor: input.actor,
      action: AUDIT_ACTIONS.addPrivileged,
      targetUserId: user?.id ?? null,
      before: null,
      after,
      reason: input.note ?? null,
      at: now,
    });
    return { changed: true, before: null, after };
  });
  if (result.changed) deps.metrics?.adminActions.inc({ action: AUDIT_ACTIONS.addPrivileged });
  return result;
}

/** Removes a LINE user from the privileged list; BusinessError-free `null` when not listed. */
export async function removePrivilegedUser(
  deps: { db: Db; clock?: Clock; metrics?: Pick<Metrics, 'adminActions'> },
  input: { lineUserId: string; actor: string; reason?: string | null },
): Promise<ChangeResult<PrivilegedState> | null> {
  const now = (deps.clock ?? { now: () => new Date() }).now();
  const result = await deps.db.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<
      { lineUserId: string; note: string | null; createdBy: string; createdAt: Date }[]
    >`
      DELETE FROM privileged_users WHERE line_user_id = ${input.lineUserId}
      RETURNING line_user_id AS "lineUserId", note, created_by AS "createdBy",
                created_at AS "createdAt"`;
    const row = rows[0];
    if (!row) return null;
    const user = await tx.user.findUnique({
      where: { lineUserId: input.lineUserId },
      select: { id: true },
    });
    const before = privilegedState({ ...row, createdAt: new Date(row.createdAt) });
    await writeAudit(tx, {
      actor: input.actor,
      action: AUDIT_ACTIONS.removePrivileged,
      targetUserId: user?.id ?? null,
      before,
      after: null,
      reason: input.reason ?? null,
      at: now,
    });
    return { changed: true, before, after: null };
  });
  if (result) deps.metrics?.adminActions.inc({ action: AUDIT_ACTIONS.removePrivileged });
  return result;
}
