import { usageDate } from '../domain/daily-limit';
import type { Db } from '../lib/db';

/**
 * Usage per local day and model over the last N days (admin usage page, GET /admin/api/usage),
 * aggregated in SQL from usage_records (one row per in / out / search part of an LLM call).
 * Days are calendar days in the configured time zone, like the daily limit.
 */

export interface UsageTotals {
  /** Chat turns with usage (distinct turn IDs). */
  turns: number;
  points: number;
  yen: number;
  dollars: number;
}

export interface UsageReport {
  timeZone: string;
  /** First and last local day, inclusive (YYYY-MM-DD). */
  from: string;
  to: string;
  models: string[];
  /** One entry per day from `from` to `to`, zero-filled. */
  days: (UsageTotals & { date: string; byModel: Record<string, UsageTotals> })[];
  totals: UsageTotals & { byModel: Record<string, UsageTotals> };
}

export const MAX_REPORT_DAYS = 366;

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** `day` ± `n` calendar days (YYYY-MM-DD arithmetic, no time zone involved). */
export function shiftDay(day: string, n: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

export function isDay(value: string): boolean {
  return DAY.test(value) && shiftDay(value, 0) === value;
}

const zero = (): UsageTotals => ({ turns: 0, points: 0, yen: 0, dollars: 0 });

export async function usageReport(
  db: Db,
  query: { days: number; to?: string; timeZone: string; now?: Date },
): Promise<UsageReport> {
  if (!Number.isInteger(query.days) || query.days < 1 || query.days > MAX_REPORT_DAYS)
    throw new RangeError(`days must be an integer in 1..${MAX_REPORT_DAYS}`);
  const to = query.to ?? usageDate(query.now ?? new Date(), query.timeZone);
  if (!isDay(to)) throw new RangeError('to must be a day (YYYY-MM-DD)');
  const from = shiftDay(to, -(query.days - 1));
  const tz = query.timeZone;

  const rows = await db.$queryRaw<
    {
      day: string | null;
      model: string | null;
      grouping: number;
      turns: number;
      points: number;
      yen: number;
      dollars: number;
    }[]
  >`
    WITH r AS (
      SELECT to_char((created_at AT TIME ZONE ${tz}::text)::date, 'YYYY-MM-DD') AS day,
             model, turn_id, points, yen, dollars
      FROM usage_records
      WHERE created_at >= ((${from}::date)::timestamp AT TIME ZONE ${tz}::text)
        AND created_at < (((${to}::date) + 1)::timestamp AT TIME ZONE ${tz}::text)
    )
    SELECT day, model, GROUPING(day, model)::int AS "grouping",
           count(DISTINCT turn_id)::int AS "turns", COALESCE(sum(points), 0)::float8 AS "points",
           COALESCE(sum(yen), 0)::float8 AS "yen", COALESCE(sum(dollars), 0)::float8 AS "dollars"
    FROM r
    GROUP BY GROUPING SETS ((day, model), (day), (model), ())
    ORDER BY day NULLS LAST, model NULLS FIRST`;

  const totalsOf = (r: (typeof rows)[number]): UsageTotals => ({
    turns: r.turns,
    points: r.points,
    yen: r.yen,
    dollars: r.dollars,
  });
  const days = new Map<string, UsageReport['days'][number]>();
  for (let i = 0; i < query.days; i++) {
    const date = shiftDay(from, i);
    days.set(date, { date, ...zero(), byModel: {} });
  }
  const totals: UsageReport['totals'] = { ...zero(), byModel: {} };
  const models = new Set<string>();
  // GROUPING bits: 2 = day rolled up, 1 = model rolled up.
  for (const r of rows) {
    if (r.grouping === 0 && r.day && r.model) {
      models.add(r.model);
      const day = days.get(r.day);
      if (day) day.byModel[r.model] = totalsOf(r);
    } else if (r.grouping === 1 && r.day) {
      const day = days.get(r.day);
      if (day) Object.assign(day, totalsOf(r));
    } else if (r.grouping === 2 && r.model) {
      totals.byModel[r.model] = totalsOf(r);
    } else if (r.grouping === 3) {
      Object.assign(totals, totalsOf(r));
    }
  }
  return {
    timeZone: tz,
    from,
    to,
    models: [...models].sort(),
    days: [...days.values()],
    totals,
  };
}
