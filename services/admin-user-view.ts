import type { Catalog } from '../config/catalog';
import type { Clock } from '../domain/clock';
import { BusinessError } from '../domain/errors';
import type { Ledger } from '../ledger';
import { countUnusedTickets } from '../ledger/tickets';
import type { UsageView } from '../domain/daily-limit';
import type { BalanceView } from '../ledger/types';
import { effectivePlan } from '../ledger/users';
import type { Db } from '../lib/db';
import { temporalWorkflowUrl } from '../lib/temporal-ui';

/** An operator's view of one user (admin API `GET /admin/users/:lineUserId`). */

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
  usageToday: UsageView;
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
    countUnusedTickets(db, user.id),
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
