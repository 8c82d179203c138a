import { Gauge, type Registry } from 'prom-client';
import { ReservationStatus, StampQueueStatus, type Db } from '../lib/db';
import type { Logger } from '../lib/logger';

/**
 * Where each metric lives
 * =======================
 *
 * Counters and histograms of events are incremented where the event happens, in that process's
 * own prom-client registry (lib/metrics.ts), and are scraped from that process:
 *
 *   API  GET /metrics (PORT)
 *     http_requests_total{method,route,status}, workflow_starts_total{kind,result},
 *     admin_actions_total{action} (plan and privileged-user changes), Node.js process metrics,
 *     and the database-derived business gauges below.
 *   Worker processes  :WORKER_METRICS_PORT/metrics (workers/main.ts)
 *     chat_turns_total{outcome}, points_charged_total{model},
 *     llm_call_duration_seconds{model,outcome} (histogram), stamp_jobs_total{outcome},
 *     grants_total{kind}, business_errors_total{code}, admin_actions_total{action} (points),
 *     retention_purged_rows_total{target}, Node.js process metrics.
 *   Worker processes  :WORKER_SDK_METRICS_PORT/metrics (Temporal SDK core, when set)
 *     temporal_* : task slots, poll and schedule-to-start latencies, sticky cache, ...
 *
 * Worker counters are per process and reset on restart (Prometheus' rate()/increase() handle
 * that); summing them needs every worker scraped. So that ONE scrape of the API answers the
 * business questions even when the workers run elsewhere, the API also exports these gauges,
 * computed from PostgreSQL (the source of truth) and cached for `ttlMs` (default 10 s) so a
 * scrape storm costs one set of queries:
 *
 *   chat_turns_by_status{status}        point_reservations by status (held/settled/released)
 *   points_held_sum                     points held by turns in flight
 *   points_charged_sum                  points charged for chat turns (ledger log, all time)
 *   usage_points_by_model{model}        usage_records points per model (retention window)
 *   usage_cost_yen_by_model{model}      usage_records yen cost per model (retention window)
 *   usage_turns_by_model{model}         chat turns with usage records per model (same window)
 *   stamp_jobs_by_status{status}        line_stamp_generate_queues by status
 *   grants_by_reason{reason}            point_grants rows by reason kind (purchase, subscription,
 *                                       refund, signup, admin, ...: the part before the first ":")
 *   granted_points_by_reason{reason}    net points of those grants
 *   users_by_state{state}               users active / deleted (soft-deleted, not yet purged)
 *   business_metrics_up                 1 if the last refresh succeeded, else 0 (values stale)
 *   business_metrics_refreshed_timestamp_seconds
 */

interface Snapshot {
  turnsByStatus: Map<string, number>;
  pointsHeld: number;
  pointsCharged: number;
  usageByModel: { model: string; points: number; yen: number; turns: number }[];
  stampJobsByStatus: Map<string, number>;
  grantsByReason: { reason: string; count: number; points: number }[];
  users: { active: number; deleted: number };
  refreshedAt: number;
}

async function loadSnapshot(db: Db, now: () => number): Promise<Snapshot> {
  const [turns, charged, usage, stamps, grants, users] = await Promise.all([
    db.$queryRaw<{ status: string; n: number; held: number }[]>`
      SELECT status::text AS "status", count(*)::int AS "n",
             COALESCE(sum(amount), 0)::float8 AS "held"
      FROM point_reservations GROUP BY status`,
    db.$queryRaw<{ charged: number }[]>`
      SELECT COALESCE(-sum(delta), 0)::float8 AS "charged"
      FROM point_ledger_logs WHERE reason = 'charge'`,
    db.$queryRaw<{ model: string; points: number; yen: number; turns: number }[]>`
      SELECT model, COALESCE(sum(points), 0)::float8 AS "points",
             COALESCE(sum(yen), 0)::float8 AS "yen", count(DISTINCT turn_id)::int AS "turns"
      FROM usage_records GROUP BY model`,
    db.$queryRaw<{ status: string; n: number }[]>`
      SELECT status::text AS "status", count(*)::int AS "n"
      FROM line_stamp_generate_queues GROUP BY status`,
    db.$queryRaw<{ reason: string; count: number; points: number }[]>`
      SELECT split_part(reason, ':', 1) AS "reason", count(*)::int AS "count",
             COALESCE(sum(points), 0)::float8 AS "points"
      FROM point_grants GROUP BY 1`,
    db.$queryRaw<{ active: number; deleted: number }[]>`
      SELECT count(*) FILTER (WHERE deleted_at IS NULL)::int AS "active",
             count(*) FILTER (WHERE deleted_at IS NOT NULL)::int AS "deleted"
      FROM users`,
  ]);
  const turnsByStatus = new Map<string, number>(
    Object.values(ReservationStatus).map((s) => [s, 0]),
  );
  for (const t of turns) turnsByStatus.set(t.status, t.n);
  const stampJobsByStatus = new Map<string, number>(
    Object.values(StampQueueStatus).map((s) => [s, 0]),
  );
  for (const s of stamps) stampJobsByStatus.set(s.status, s.n);
  return {
    turnsByStatus,
    pointsHeld: turns.find((t) => t.status === 'held')?.held ?? 0,
    pointsCharged: charged[0]?.charged ?? 0,
    usageByModel: usage,
    stampJobsByStatus,
    grantsByReason: grants,
    users: users[0] ?? { active: 0, deleted: 0 },
    refreshedAt: now(),
  };
}

export interface BusinessMetricsOptions {
  /** How long one database snapshot serves scrapes (ms). Default 10 000. */
  ttlMs?: number;
  logger?: Logger;
  /** Milliseconds since the epoch; default Date.now. */
  now?: () => number;
}

export interface BusinessMetrics {
  /** Drops the cached snapshot (the next scrape queries the database). */
  invalidate(): void;
}

/**
 * Registers the business gauges on `registry` (once per registry: a second call returns the
 * first registration's handle).
 */
export function registerBusinessMetrics(
  registry: Registry,
  db: Db,
  options: BusinessMetricsOptions = {},
): BusinessMetrics {
  const existing = handles.get(registry);
  if (existing) return existing;
  const ttlMs = options.ttlMs ?? 10_000;
  const now = options.now ?? Date.now;
  let cached: { at: number; snapshot: Promise<Snapshot> } | undefined;
  let lastGood: Snapshot | undefined;
  let up = 0;

  /** The cached snapshot; on a database failure the last good one (and business_metrics_up 0). */
  function snapshot(): Promise<Snapshot | undefined> {
    const at = now();
    if (!cached || at - cached.at >= ttlMs) {
      const loading = loadSnapshot(db, now);
      cached = { at, snapshot: loading };
      loading.then(
        (s) => {
          lastGood = s;
          up = 1;
        },
        (err: unknown) => {
          up = 0;
          cached = undefined; // retry at the next scrape
          options.logger?.warn(
            { err: { name: (err as Error).name, message: (err as Error).message } },
            'business metrics refresh failed',
          );
        },
      );
    }
    return cached.snapshot.catch(() => lastGood);
  }

  const gauge = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    fill: (g: Gauge<L>, s: Snapshot) => void,
  ) =>
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        const s = await snapshot();
        this.reset();
        if (s) fill(this, s);
      },
    });

  gauge(
    'chat_turns_by_status',
    'Chat turns by reservation status (database)',
    ['status'],
    (g, s) => {
      for (const [status, n] of s.turnsByStatus) g.set({ status }, n);
    },
  );
  gauge('points_held_sum', 'Points held by chat turns in flight (database)', [], (g, s) =>
    g.set(s.pointsHeld),
  );
  gauge('points_charged_sum', 'Points charged for chat turns, all time (database)', [], (g, s) =>
    g.set(s.pointsCharged),
  );
  gauge('usage_points_by_model', 'Usage points per model (usage_records)', ['model'], (g, s) => {
    for (const u of s.usageByModel) g.set({ model: u.model }, u.points);
  });
  gauge(
    'usage_cost_yen_by_model',
    'LLM cost in yen per model (usage_records)',
    ['model'],
    (g, s) => {
      for (const u of s.usageByModel) g.set({ model: u.model }, u.yen);
    },
  );
  gauge('usage_turns_by_model', 'Chat turns per model (usage_records)', ['model'], (g, s) => {
    for (const u of s.usageByModel) g.set({ model: u.model }, u.turns);
  });
  gauge('stamp_jobs_by_status', 'Stamp jobs by status (database)', ['status'], (g, s) => {
    for (const [status, n] of s.stampJobsByStatus) g.set({ status }, n);
  });
  gauge('grants_by_reason', 'Point grants by reason kind (database)', ['reason'], (g, s) => {
    for (const r of s.grantsByReason) g.set({ reason: r.reason }, r.count);
  });
  gauge(
    'granted_points_by_reason',
    'Net points granted by reason kind (database)',
    ['reason'],
    (g, s) => {
      for (const r of s.grantsByReason) g.set({ reason: r.reason }, r.points);
    },
  );
  gauge('users_by_state', 'Users by state (database)', ['state'], (g, s) => {
    g.set({ state: 'active' }, s.users.active);
    g.set({ state: 'deleted' }, s.users.deleted);
  });
  new Gauge({
    name: 'business_metrics_up',
    help: '1 if the last database refresh of the business gauges succeeded',
    registers: [registry],
    async collect() {
      await snapshot();
      this.set(up);
    },
  });
  new Gauge({
    name: 'business_metrics_refreshed_timestamp_seconds',
    help: 'When the business gauges were last read from the database',
    registers: [registry],
    async collect() {
      const s = await snapshot();
      this.set(s ? s.refreshedAt / 1000 : 0);
    },
  });

  const handle: BusinessMetrics = {
    invalidate() {
      cached = undefined;
    },
  };
  handles.set(registry, handle);
  return handle;
}

const handles = new WeakMap<Registry, BusinessMetrics>();
