import type { Catalog } from '../config/catalog';
import type { Clock } from '../domain/clock';
import { BusinessError, invalidInput } from '../domain/errors';
import type { AlsoWithChange, Ledger } from '../ledger';
import type { BalanceView, UsageResponse } from '../ledger/types';
import { effectivePlan, lockUser } from '../ledger/users';
import { Prisma, type Db, type Tx } from '../lib/db';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/metrics';
import { toFailure } from './ledger';

/**
 * Operator actions (seed 004 監査ログ: every admin change is recorded). Each change writes one
 * admin_audit_logs row (actor, action, target, before, after, reason):
 *
 * - plan and privileged-user changes: plain functions the admin API calls directly; the change
 *   and its audit row are ONE transaction (under the user's ledger lock for a plan change), so
 *   either both land or neither.
 * - point grants/adjustments: the `adminApplyPoints` activity of the `adminAdjustPoints`
 *   workflow (billing queue), through the ledger (idempotent by `admin:<requestId>`). The audit
 *   row (primary key: the request ID) is written inside the ledger's transaction, only when it
 *   makes the change: a retried activity finds the grant already claimed, and writes nothing.
 */

export const AUDIT_ACTIONS = {
  grantPoints: 'points.grant',
  adjustPoints: 'points.adjust',
  setPlan: 'plan.set',
  addPrivileged: 'privileged.add',
  removePrivileged: 'privileged.remove',
} as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[keyof typeof AUDIT_ACTIONS];

/** A LINE user ID: "U" + 32 lower-case hex digits. */
export const LINE_USER_ID = /^U[0-9a-f]{32}$/;

/** Ledger source ref of an admin request (point_grants.source_ref, ledger log ref). */
export const adminSourceRef = (requestId: string) => `admin:${requestId}`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** JSON-safe copy (Dates → ISO strings) for the audit columns. */
function json(value: unknown): Prisma.InputJsonValue {
  return JSON.parse(JSON.stringify(value)) as Prisma.InputJsonValue;
}

export interface AuditEntry {
  id?: string;
  actor: string;
  action: AuditAction;
  targetUserId: string | null;
  before: unknown;
  after: unknown;
  reason?: string | null;
  at: Date;
}

function auditRow(e: AuditEntry) {
  return {
    ...(e.id ? { id: e.id } : {}),
    actor: e.actor,
    action: e.action,
    targetUserId: e.targetUserId,
    before: e.before === null ? Prisma.JsonNull : json(e.before),
    after: e.after === null ? Prisma.JsonNull : json(e.after),
    reason: e.reason ?? null,
    createdAt: e.at,
  };
}

/** Writes an audit row inside the caller's transaction. */
export async function writeAudit(tx: Tx, entry: AuditEntry): Promise<void> {
  await tx.adminAuditLog.create({ data: auditRow(entry) });
}

// ---------------------------------------------------------------------------------------
// Look-up
// ---------------------------------------------------------------------------------------

export interface RecentTurn {
  turnId: string;
  at: string;
  /** point_reservations.status; null = no reservation (privileged turn). */
  status: string | null;
  /** Points charged for the turn's usage records (0 for privileged turns). */
  points: number;
  model: string | null;
  /** The turn's workflow in the Temporal Web UI. */
  temporalUrl: string;
}

export interface AdminUserView {
  user: {
    id: string;
    lineUserId: string;
    stripeCustomerId: string | null;
    createdAt: string;
    deletedAt: string | null;
    messageCount: number;
    tokensUsed: number;
  };
  plan: {
    planId: string;
    name: string | null;
    periodEnd: string | null;
    /** The plan in force now (the default plan once periodEnd has passed). */
    effectivePlanId: string;
    dailyChatLimit: number | null;
  };
  balance: BalanceView;
  usageToday: UsageResponse;
  privileged: { note: string | null; createdBy: string; createdAt: string } | null;
  ticketsLeft: number;
  recentTurns: RecentTurn[];
}

export interface AdminViewDeps {
  db: Db;
  ledger: Pick<Ledger, 'getBalance' | 'getUsage'>;
  catalog: Pick<Catalog, 'plans' | 'defaultPlan'>;
  temporalUiUrl: string;
  namespace: string;
  clock?: Clock;
}

export function temporalWorkflowUrl(uiUrl: string, namespace: string, workflowId: string): string {
  return (
    `${uiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}` +
    `/workflows/${encodeURIComponent(workflowId)}`
  );
}

export function unknownLineUser(lineUserId: string): BusinessError {
  return new BusinessError('UNKNOWN_USER', `no user with LINE user ID ${lineUserId}`, {
    lineUserId,
  });
}

const RECENT_TURNS = 20;

/** Everything an operator needs about one user; UNKNOWN_USER if there is no such user. */
export async function describeUser(
  deps: AdminViewDeps,
  lineUserId: string,
): Promise<AdminUserView> {
  const { db, catalog } = deps;
  const user = await db.user.findUnique({ where: { lineUserId } });
  if (!user) throw unknownLineUser(lineUserId);
  const now = (deps.clock ?? { now: () => new Date() }).now();

  const [balance, usageToday, privileged, ticketsLeft, turns] = await Promise.all([
    deps.ledger.getBalance(user.id),
    deps.ledger.getUsage(user.id),
    db.privilegedUser.findUnique({ where: { lineUserId } }),
    db.lineStampTicket.count({ where: { userId: user.id, deletedAt: null, consumption: null } }),
    // A chat turn's ID (= its workflow ID, chat-<webhookEventId>) is on its reservation (turns
    // that reserved) and on its archived messages (privileged turns reserve nothing).
    db.$queryRaw<{ turnId: string; at: Date; status: string | null }[]>`
      SELECT turn_id AS "turnId", max(at) AS "at", max(status) AS "status"
      FROM (
        SELECT turn_id, created_at AS at, status::text AS status
          FROM point_reservations WHERE user_id = ${user.id}::uuid
        UNION ALL
        SELECT turn_id, created_at, NULL FROM chat_archives WHERE user_id = ${user.id}::uuid
      ) t
      GROUP BY turn_id ORDER BY max(at) DESC, turn_id LIMIT ${RECENT_TURNS}`,
  ]);
  const costs = turns.length
    ? await db.usageRecord.groupBy({
        by: ['turnId', 'model'],
        where: { turnId: { in: turns.map((t) => t.turnId) } },
        _sum: { points: true },
      })
    : [];

  let effective: { planId: string; dailyChatLimit: number | null };
  try {
    const e = effectivePlan(user, catalog, now);
    effective = { planId: e.planId, dailyChatLimit: e.plan.dailyChatLimit };
  } catch {
    effective = { planId: user.planId, dailyChatLimit: null }; // a plan no longer in the catalog
  }

  return {
    user: {
      id: user.id,
      lineUserId: user.lineUserId,
      stripeCustomerId: user.stripeCustomerId,
      createdAt: user.createdAt.toISOString(),
      deletedAt: user.deletedAt?.toISOString() ?? null,
      messageCount: user.messageCount,
      tokensUsed: Number(user.tokensUsed),
    },
    plan: {
      planId: user.planId,
      name: catalog.plans[user.planId]?.name ?? null,
      periodEnd: user.planPeriodEnd?.toISOString() ?? null,
      effectivePlanId: effective.planId,
      dailyChatLimit: effective.dailyChatLimit,
    },
    balance,
    usageToday,
    privileged: privileged && {
      note: privileged.note,
      createdBy: privileged.createdBy,
      createdAt: privileged.createdAt.toISOString(),
    },
    ticketsLeft,
    recentTurns: turns.map((t) => {
      const cost = costs.filter((c) => c.turnId === t.turnId);
      return {
        turnId: t.turnId,
        at: new Date(t.at).toISOString(),
        status: t.status,
        points: cost.reduce((sum, c) => sum + (c._sum.points ?? 0), 0),
        model: cost[0]?.model ?? null,
        temporalUrl: temporalWorkflowUrl(deps.temporalUiUrl, deps.namespace, t.turnId),
      };
    }),
  };
}

// ---------------------------------------------------------------------------------------
// Plan
// ---------------------------------------------------------------------------------------

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
): Promise<ChangeResult<PlanState> & { userId: string }> {
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
      return { changed: false, before, after, userId: user.id };
    await tx.user.update({
      where: { id: user.id },
      data: { planId: input.planId, planPeriodEnd: input.periodEnd },
    });
    await writeAudit(tx, {
      actor: input.actor,
      action: AUDIT_ACTIONS.setPlan,
      targetUserId: user.id,
      before,
      after,
      reason: input.reason,
      at: now,
    });
    return { changed: true, before, after, userId: user.id };
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

// ---------------------------------------------------------------------------------------
// Points (activity of workflows/admin-adjust-points.ts)
// ---------------------------------------------------------------------------------------

export interface AdminPointsInput {
  /** The operator's idempotency key (UUID): ledger source `admin:<requestId>`, audit row ID. */
  requestId: string;
  userId: string;
  /** Non-zero: positive grants (pays debts first, then a new lot), negative charges. */
  delta: number;
  reason: string;
  /** Expiry of the lot a positive delta creates (ISO 8601); null = never. */
  expiresAt: string | null;
  actor: string;
}

export interface AdminPointsResult {
  requestId: string;
  userId: string;
  delta: number;
  reason: string;
  /** False when this request had been applied before (nothing changed this time). */
  applied: boolean;
  balanceBefore: number | null;
  balanceAfter: number;
  auditId: string;
}

export interface AdminActivityDeps {
  ledger: Pick<Ledger, 'grantPoints' | 'adjustPoints'>;
  clock: Clock;
  logger: Logger;
  metrics?: Pick<Metrics, 'grants' | 'adminActions' | 'businessErrors'>;
}

export function createAdminActivities(deps: AdminActivityDeps) {
  const { ledger, clock, logger, metrics } = deps;
  const onBusinessError = (code: string) => metrics?.businessErrors.inc({ code });

  async function applyPoints(input: AdminPointsInput): Promise<AdminPointsResult> {
    if (typeof input?.requestId !== 'string' || !UUID.test(input.requestId))
      throw invalidInput('requestId must be a UUID', { field: 'requestId' });
    if (typeof input.actor !== 'string' || input.actor.trim() === '')
      throw invalidInput('actor is required', { field: 'actor' });
    const requestId = input.requestId.toLowerCase();
    const sourceRef = adminSourceRef(requestId);
    const action = input.delta > 0 ? AUDIT_ACTIONS.grantPoints : AUDIT_ACTIONS.adjustPoints;
    // point_grants.reason starts with "admin:" so grants can be told apart by origin.
    const ledgerReason = `admin:${input.reason}`;

    // The audit row is written in the ledger's own transaction, only when the change is made:
    // a retried request (the change already applied) writes neither again.
    let balanceBefore: number | null = null;
    const audit: AlsoWithChange = async (tx, change) => {
      balanceBefore = change.balanceBefore;
      await writeAudit(tx, {
        id: requestId,
        actor: input.actor,
        action,
        targetUserId: input.userId,
        before: { balance: change.balanceBefore, held: change.held },
        after: {
          balance: change.balanceAfter,
          delta: input.delta,
          expiresAt: input.expiresAt,
          sourceRef,
        },
        reason: input.reason,
        at: clock.now(),
      });
    };
    const { changed, balanceAfter } =
      input.delta > 0
        ? await ledger
            .grantPoints(
              {
                sourceRef,
                userId: input.userId,
                points: input.delta,
                expiresAt: input.expiresAt,
                reason: ledgerReason,
              },
              audit,
            )
            .then((r) => ({ changed: r.granted, balanceAfter: r.balanceAfter }))
        : await ledger
            .adjustPoints(
              {
                sourceRef,
                userId: input.userId,
                delta: input.delta,
                expiresAt: null,
                reason: ledgerReason,
              },
              audit,
            )
            .then((r) => ({ changed: r.adjusted, balanceAfter: r.balanceAfter }));

    if (changed) {
      metrics?.grants.inc({ kind: 'admin_points' });
      metrics?.adminActions.inc({ action });
    }
    logger.info(
      { requestId, userId: input.userId, delta: input.delta, applied: changed },
      'admin points request processed',
    );
    return {
      requestId,
      userId: input.userId,
      delta: input.delta,
      reason: input.reason,
      applied: changed,
      balanceBefore,
      balanceAfter,
      auditId: requestId,
    };
  }

  return {
    async adminApplyPoints(input: AdminPointsInput): Promise<AdminPointsResult> {
      try {
        return await applyPoints(input);
      } catch (err) {
        throw toFailure(err, onBusinessError);
      }
    },
  };
}

export type AdminActivities = ReturnType<typeof createAdminActivities>;
