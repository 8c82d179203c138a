import type { Db } from '../lib/db';
import { temporalUiLinks } from '../lib/temporal-ui';
import { adminPlanNoticeWorkflowId, adminPointsWorkflowId } from '../workflows/support/ids';
import { AUDIT_ACTIONS } from './admin-audit';
import { unknownLineUser } from './admin-user-view';

/**
 * One user's history for the operator console (`GET /admin/api/users/:lineUserId/timeline`):
 * chat turns, Stripe payments and refunds, point grants, plan changes and sticker jobs, oldest
 * first, each linked to the workflow that did it in the Temporal Web UI. A link is given only
 * for a workflow ID the record itself names (the turn ID is its workflow's ID, a payment keeps
 * the grant workflow that accepted it, a sticker job its workflow ID, an admin grant its
 * request ID), never a guess: entries without one (sign-up points) carry none.
 */

export type TimelineKind = 'turn' | 'payment' | 'grant' | 'plan' | 'sticker';

export interface TimelineEntry {
  at: string;
  kind: TimelineKind;
  /** Short operator text (English) naming what happened; never message text. */
  summary: string;
  /** turn: settled | released | held | privileged; sticker: the job's status; else done. */
  outcome: string;
  points?: number;
  /** Yen for payments (negative for refunds). */
  amount?: number;
  workflowId: string | null;
  temporalUrl: string | null;
}

export interface UserTimeline {
  lineUserId: string;
  displayName: string | null;
  /** All of the user's workflows in the Web UI (search attribute LineUserId). */
  workflowsUrl: string;
  entries: TimelineEntry[];
  /** Each source was cut at `limit` rows: older entries exist. */
  truncated: boolean;
}

export interface TimelineDeps {
  db: Db;
  temporalUiUrl: string;
  namespace: string;
}

export const MAX_TIMELINE_LIMIT = 500;

/** The workflow a point grant came from, when its source names one. */
export function grantWorkflowId(
  sourceRef: string,
  paymentWorkflows: ReadonlyMap<string, string | null>,
): string | null {
  if (sourceRef.startsWith('admin:')) return adminPointsWorkflowId(sourceRef.slice(6));
  return paymentWorkflows.get(sourceRef) ?? null;
}

export async function userTimeline(
  deps: TimelineDeps,
  lineUserId: string,
  options: { limit: number },
): Promise<UserTimeline> {
  const { db } = deps;
  const links = temporalUiLinks(deps.temporalUiUrl, deps.namespace);
  const user = await db.user.findUnique({
    where: { lineUserId },
    select: { id: true, displayName: true },
  });
  if (!user) throw unknownLineUser(lineUserId);
  const take = options.limit;

  const [turns, payments, grants, plans, stickers] = await Promise.all([
    // Same turn sources as the user view: reservations (charged turns) and archives (privileged).
    db.$queryRaw<{ turnId: string; at: Date; status: string | null; points: number }[]>`
      SELECT t.turn_id AS "turnId", max(t.at) AS "at", max(t.status) AS "status",
             COALESCE((SELECT sum(u.points) FROM usage_records u WHERE u.turn_id = t.turn_id), 0)::int
               AS "points"
      FROM (
        SELECT turn_id, created_at AS at, status::text AS status
          FROM point_reservations WHERE user_id = ${user.id}::uuid
        UNION ALL
        SELECT turn_id, created_at, NULL FROM chat_archives WHERE user_id = ${user.id}::uuid
      ) t
      GROUP BY t.turn_id ORDER BY max(t.at) DESC LIMIT ${take}`,
    db.stripePayment.findMany({
      where: { userId: user.id },
      orderBy: { occurredAt: 'desc' },
      take,
    }),
    db.pointGrant.findMany({ where: { userId: user.id }, orderBy: { createdAt: 'desc' }, take }),
    db.adminAuditLog.findMany({
      where: { targetUserId: user.id, action: AUDIT_ACTIONS.setPlan },
      orderBy: { createdAt: 'desc' },
      take,
    }),
    db.lineStampGenerateQueue.findMany({
      where: { userId: user.id },
      orderBy: { createdAt: 'desc' },
      select: {
        id: true,
        status: true,
        createdAt: true,
        workflowId: true,
        setMode: true,
        failureReason: true,
        _count: { select: { messages: true } },
      },
      take,
    }),
  ]);

  const paymentWorkflows = new Map(payments.map((p) => [p.sourceRef, p.workflowId]));
  const link = (workflowId: string | null) => ({
    workflowId,
    temporalUrl: workflowId ? links.workflow(workflowId) : null,
  });
  const entries: TimelineEntry[] = [
    ...turns.map((t) => ({
      at: new Date(t.at).toISOString(),
      kind: 'turn' as const,
      summary: 'chat turn',
      outcome: t.status ?? 'privileged',
      points: t.points,
      ...link(t.turnId),
    })),
    ...payments.map((p) => ({
      at: p.occurredAt.toISOString(),
      kind: 'payment' as const,
      summary:
        p.kind === 'refund'
          ? `refund (${p.productId ?? 'unknown product'})`
          : `${p.kind === 'invoice' ? 'subscription invoice' : 'purchase'} ${p.productId ?? ''}`.trim(),
      outcome: 'done',
      amount: p.amount,
      ...link(p.workflowId),
    })),
    ...grants.map((g) => ({
      at: g.createdAt.toISOString(),
      kind: 'grant' as const,
      summary: `${g.points >= 0 ? 'points granted' : 'points taken back'} (${g.reason})`,
      outcome: 'done',
      points: g.points,
      ...link(grantWorkflowId(g.sourceRef, paymentWorkflows)),
    })),
    ...plans.map((a) => {
      const after = a.after as { planId?: unknown } | null;
      const before = a.before as { planId?: unknown } | null;
      return {
        at: a.createdAt.toISOString(),
        kind: 'plan' as const,
        summary: `plan ${String(before?.planId ?? '?')} → ${String(after?.planId ?? '?')} by ${a.actor}`,
        outcome: 'done',
        ...link(adminPlanNoticeWorkflowId(a.id)),
      };
    }),
    ...stickers.map((s) => ({
      at: s.createdAt.toISOString(),
      kind: 'sticker' as const,
      summary: `sticker job (${s._count.messages} stickers, ${s.setMode})`,
      outcome: s.status,
      // A job cancelled or expired before its texts came never had a job workflow.
      ...link(s.workflowId),
    })),
  ].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));

  return {
    lineUserId,
    displayName: user.displayName,
    workflowsUrl: links.query(`LineUserId="${lineUserId}"`),
    entries,
    truncated: [turns, payments, grants, plans, stickers].some((rows) => rows.length >= take),
  };
}
