import type { Db } from '../lib/db';
import { isDay, MAX_REPORT_DAYS, shiftDay } from '../ops/usage-report';
import { usageDate } from '../domain/daily-limit';

/**
 * The operator console's money and health reports, per local day (TIME_ZONE, like the daily
 * limit) over a window of days, aggregated in SQL:
 *
 * - revenue against model cost: Stripe amounts (stripe_payments, refunds negative) and model
 *   cost (usage_records.yen), by day and by plan. "By plan" is the plan the user is on now
 *   (the default plan once a paid period has lapsed): what each plan's users pay against what
 *   they cost. A purged user's payments stay, under `(purged)`.
 * - failures: chat turns that failed before settlement (reservation released), answers charged
 *   back because they never reached the user (ledger refund rows), sticker jobs that failed, and
 *   LINE events the inbox relay gave up on.
 * - sticker jobs by the day they were made and their outcome now.
 */

export interface ReportWindow {
  days: number;
  /** Last local day, inclusive (YYYY-MM-DD); default today. */
  to?: string;
  timeZone: string;
  now?: Date;
}

export interface ReportRange {
  timeZone: string;
  from: string;
  to: string;
  dates: string[];
}

export function reportRange(window: ReportWindow): ReportRange {
  if (!Number.isInteger(window.days) || window.days < 1 || window.days > MAX_REPORT_DAYS)
    throw new RangeError(`days must be an integer in 1..${MAX_REPORT_DAYS}`);
  const to = window.to ?? usageDate(window.now ?? new Date(), window.timeZone);
  if (!isDay(to)) throw new RangeError('to must be a day (YYYY-MM-DD)');
  const from = shiftDay(to, -(window.days - 1));
  const dates = Array.from({ length: window.days }, (_, i) => shiftDay(from, i));
  return { timeZone: window.timeZone, from, to, dates };
}

export interface MoneyRow {
  revenueYen: number;
  costYen: number;
}

export interface RevenueReport extends ReportRange {
  days: (MoneyRow & { date: string })[];
  plans: (MoneyRow & { planId: string })[];
  totals: MoneyRow;
}

export const PURGED_PLAN = '(purged)';

export async function revenueReport(
  db: Db,
  window: ReportWindow & { defaultPlan: string },
): Promise<RevenueReport> {
  const range = reportRange(window);
  const { timeZone: tz, from, to } = range;
  const now = window.now ?? new Date();
  const rows = await db.$queryRaw<{ day: string; planId: string; revenue: number; cost: number }[]>`
    WITH money AS (
      SELECT (occurred_at AT TIME ZONE ${tz}::text)::date AS day, user_id,
             amount::numeric AS revenue, 0::numeric AS cost
      FROM stripe_payments
      WHERE currency = 'jpy'
        AND occurred_at >= ((${from}::date)::timestamp AT TIME ZONE ${tz}::text)
        AND occurred_at < (((${to}::date) + 1)::timestamp AT TIME ZONE ${tz}::text)
      UNION ALL
      SELECT (created_at AT TIME ZONE ${tz}::text)::date, user_id, 0, yen
      FROM usage_records
      WHERE created_at >= ((${from}::date)::timestamp AT TIME ZONE ${tz}::text)
        AND created_at < (((${to}::date) + 1)::timestamp AT TIME ZONE ${tz}::text)
    )
    SELECT to_char(m.day, 'YYYY-MM-DD') AS "day",
           CASE WHEN u.id IS NULL THEN ${PURGED_PLAN}
                WHEN u.plan_period_end IS NOT NULL AND u.plan_period_end <= ${now}
                  THEN ${window.defaultPlan}
                ELSE u.plan_id END AS "planId",
           sum(m.revenue)::float8 AS "revenue", sum(m.cost)::float8 AS "cost"
    FROM money m LEFT JOIN users u ON u.id = m.user_id
    GROUP BY 1, 2`;

  const days = new Map(range.dates.map((date) => [date, { date, revenueYen: 0, costYen: 0 }]));
  const plans = new Map<string, MoneyRow & { planId: string }>();
  const totals: MoneyRow = { revenueYen: 0, costYen: 0 };
  for (const r of rows) {
    const day = days.get(r.day);
    if (day) {
      day.revenueYen += r.revenue;
      day.costYen += r.cost;
    }
    const plan = plans.get(r.planId) ?? { planId: r.planId, revenueYen: 0, costYen: 0 };
    plan.revenueYen += r.revenue;
    plan.costYen += r.cost;
    plans.set(r.planId, plan);
    totals.revenueYen += r.revenue;
    totals.costYen += r.cost;
  }
  return {
    ...range,
    days: [...days.values()],
    plans: [...plans.values()].sort((a, b) => a.planId.localeCompare(b.planId)),
    totals,
  };
}

export const FAILURE_KINDS = [
  'turnFailed',
  'answerRefunded',
  'stickerFailed',
  'eventGivenUp',
] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

export interface FailureReport extends ReportRange {
  days: ({ date: string } & Record<FailureKind, number>)[];
  totals: Record<FailureKind, number>;
}

export async function failureReport(db: Db, window: ReportWindow): Promise<FailureReport> {
  const range = reportRange(window);
  const { timeZone: tz, from, to } = range;
  const rows = await db.$queryRaw<{ day: string; kind: FailureKind; n: number }[]>`
    WITH bounds AS (
      SELECT ((${from}::date)::timestamp AT TIME ZONE ${tz}::text) AS lo,
             (((${to}::date) + 1)::timestamp AT TIME ZONE ${tz}::text) AS hi
    ), f AS (
      SELECT created_at AS at, 'turnFailed' AS kind FROM point_reservations, bounds
        WHERE status = 'released' AND created_at >= lo AND created_at < hi
      UNION ALL
      SELECT created_at, 'answerRefunded' FROM point_ledger_logs, bounds
        WHERE reason = 'refund' AND ref LIKE 'chat-%' AND created_at >= lo AND created_at < hi
      UNION ALL
      SELECT created_at, 'stickerFailed' FROM line_stamp_generate_queues, bounds
        WHERE status = 'failed' AND created_at >= lo AND created_at < hi
      UNION ALL
      SELECT given_up_at, 'eventGivenUp' FROM line_inbox_events, bounds
        WHERE given_up_at >= lo AND given_up_at < hi
    )
    SELECT to_char((at AT TIME ZONE ${tz}::text)::date, 'YYYY-MM-DD') AS "day", kind,
           count(*)::int AS "n"
    FROM f GROUP BY 1, 2`;
  const zero = () =>
    Object.fromEntries(FAILURE_KINDS.map((k) => [k, 0])) as Record<FailureKind, number>;
  const days = new Map(range.dates.map((date) => [date, { date, ...zero() }]));
  const totals = zero();
  for (const r of rows) {
    const day = days.get(r.day);
    if (day) day[r.kind] += r.n;
    totals[r.kind] += r.n;
  }
  return { ...range, days: [...days.values()], totals };
}

/** Outcomes of a sticker job as the chart groups them (the job's status now). */
export const STICKER_OUTCOMES = [
  'completed',
  'failed',
  'cancelled',
  'expired',
  'inProgress',
] as const;
export type StickerOutcome = (typeof STICKER_OUTCOMES)[number];

export interface StickerReport extends ReportRange {
  days: ({ date: string } & Record<StickerOutcome, number>)[];
  totals: Record<StickerOutcome, number>;
}

export async function stickerReport(db: Db, window: ReportWindow): Promise<StickerReport> {
  const range = reportRange(window);
  const { timeZone: tz, from, to } = range;
  const rows = await db.$queryRaw<{ day: string; outcome: StickerOutcome; n: number }[]>`
    SELECT to_char((created_at AT TIME ZONE ${tz}::text)::date, 'YYYY-MM-DD') AS "day",
           CASE WHEN status IN ('completed', 'failed', 'cancelled', 'expired') THEN status::text
                ELSE 'inProgress' END AS "outcome",
           count(*)::int AS "n"
    FROM line_stamp_generate_queues
    WHERE created_at >= ((${from}::date)::timestamp AT TIME ZONE ${tz}::text)
      AND created_at < (((${to}::date) + 1)::timestamp AT TIME ZONE ${tz}::text)
    GROUP BY 1, 2`;
  const zero = () =>
    Object.fromEntries(STICKER_OUTCOMES.map((k) => [k, 0])) as Record<StickerOutcome, number>;
  const days = new Map(range.dates.map((date) => [date, { date, ...zero() }]));
  const totals = zero();
  for (const r of rows) {
    const day = days.get(r.day);
    if (day) day[r.outcome] += r.n;
    totals[r.outcome] += r.n;
  }
  return { ...range, days: [...days.values()], totals };
}
