import { WorkflowNotFoundError } from '@temporalio/client';
import { Router, type Request } from 'express';
import { z } from 'zod';
import { LINE_USER_ID } from '../../domain/line-user-id';
import { MAX_REPORT_DAYS, isDay, usageReport } from '../../ops/usage-report';
import { barChart, type BarChartSpec } from '../../services/admin-charts';
import {
  failureReport,
  revenueReport,
  stickerReport,
  type ReportWindow,
} from '../../services/admin-reports';
import { searchUsers, UserSearchQuery } from '../../services/admin-search';
import { MAX_TIMELINE_LIMIT, userTimeline } from '../../services/admin-timeline';
import { adminAuth } from '../admin-auth';
import type { ApiDeps } from '../deps';
import { HttpError } from '../errors';

/**
 * The operator console's data (admin token required; the page is api/routes/admin-usage-page.ts):
 *
 *   GET /admin/api/users?q=…[&by=auto|lineUserId|stripeCustomer|displayName][&limit=20]
 *       users by LINE user ID prefix, Stripe customer ID or display name (services/admin-search.ts)
 *   GET /admin/api/users/:lineUserId/timeline[?limit=100]
 *       turns, payments, grants, plan changes and sticker jobs with Temporal Web UI links
 *   GET /admin/api/reports?days=30[&to=YYYY-MM-DD]
 *       revenue against model cost by day and plan, failures, sticker jobs (JSON)
 *   GET /admin/api/charts/<name>.svg?days=30[&to=…]
 *       the same as SVG bar charts drawn here (the page shows them as images: no script in them)
 */

const CHART_COLORS = {
  revenue: '#16a34a',
  cost: '#dc2626',
  turns: '#2563eb',
  models: ['#2563eb', '#d97706', '#9333ea', '#0891b2', '#4b5563', '#db2777'],
};

const Window = z.strictObject({
  days: z.coerce
    .number({ error: 'must be a number' })
    .int('must be an integer')
    .min(1, 'must be at least 1')
    .max(MAX_REPORT_DAYS, `must be at most ${MAX_REPORT_DAYS}`)
    .default(30),
  to: z.string().refine(isDay, 'must be a day (YYYY-MM-DD)').optional(),
});

const TimelineQuery = z.strictObject({
  limit: z.coerce
    .number({ error: 'must be a number' })
    .int('must be an integer')
    .min(1, 'must be at least 1')
    .max(MAX_TIMELINE_LIMIT, `must be at most ${MAX_TIMELINE_LIMIT}`)
    .default(100),
});

/** Parses a query string against `schema`, or 400 naming the first bad parameter. */
export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.infer<S> {
  const flat: Record<string, unknown> = {};
  for (const [key, value] of Object.entries((query ?? {}) as Record<string, unknown>)) {
    if (typeof value !== 'string')
      throw new HttpError(400, 'INVALID_INPUT', `${key}: must be given once`, { field: key });
    flat[key] = value;
  }
  const parsed = schema.safeParse(flat);
  if (parsed.success) return parsed.data;
  const first = parsed.error.issues[0];
  const field =
    (first?.code === 'unrecognized_keys' ? first.keys[0] : first?.path.map(String).join('.')) ||
    null;
  const problems = parsed.error.issues.map(
    (i) =>
      `${i.path.map(String).join('.') || (i.code === 'unrecognized_keys' ? i.keys.join(', ') : '(query)')}: ${i.message}`,
  );
  throw new HttpError(400, 'INVALID_INPUT', `invalid query: ${problems.join('; ')}`, {
    field,
    problems,
  });
}

export const CHART_NAMES = [
  'revenue-by-day',
  'revenue-by-plan',
  'failures',
  'stickers',
  'turns',
  'cost-by-model',
] as const;
export type ChartName = (typeof CHART_NAMES)[number];

export function adminConsoleRouter(deps: ApiDeps): Router {
  const router = Router();
  const { env, catalog } = deps.config;
  const { db, temporal } = deps;
  const auth = adminAuth(env.ADMIN_TOKEN);
  const windowOf = (req: Request): ReportWindow => {
    const w = parseQuery(Window, req.query);
    return { days: w.days, to: w.to, timeZone: env.TIME_ZONE };
  };
  const planName = (planId: string) => {
    const name = catalog.plans[planId]?.name;
    return name ? `${name} / ${planId}` : planId;
  };

  router.get('/admin/api/users', auth, async (req, res) => {
    const query = parseQuery(UserSearchQuery, req.query);
    res.set('Cache-Control', 'no-store').json(await searchUsers(db, query));
  });

  router.get('/admin/api/users/:lineUserId/timeline', auth, async (req, res) => {
    const lineUserId = req.params.lineUserId;
    if (typeof lineUserId !== 'string' || !LINE_USER_ID.test(lineUserId))
      throw new HttpError(
        400,
        'INVALID_INPUT',
        'lineUserId must be a LINE user ID (U followed by 32 hex digits)',
        { field: 'lineUserId' },
      );
    const { limit } = parseQuery(TimelineQuery, req.query);
    const timeline = await userTimeline(
      { db, temporalUiUrl: env.TEMPORAL_UI_URL, namespace: env.TEMPORAL_NAMESPACE },
      lineUserId,
      { limit },
    );
    // A plan change names its notice workflow, which exists only if its start succeeded (and
    // not for changes made before notices): ask Temporal for these few, link only what exists.
    await Promise.all(
      timeline.entries
        .filter((e) => e.kind === 'plan' && e.workflowId)
        .map(async (e) => {
          try {
            await temporal.workflow.getHandle(e.workflowId!).describe();
          } catch (err) {
            if (!(err instanceof WorkflowNotFoundError)) throw err;
            e.workflowId = null;
            e.temporalUrl = null;
          }
        }),
    );
    res.set('Cache-Control', 'no-store').json(timeline);
  });

  router.get('/admin/api/reports', auth, async (req, res) => {
    const window = windowOf(req);
    const [revenue, failures, stickers] = await Promise.all([
      revenueReport(db, { ...window, defaultPlan: catalog.defaultPlan }),
      failureReport(db, window),
      stickerReport(db, window),
    ]);
    res.set('Cache-Control', 'no-store').json({ revenue, failures, stickers });
  });

  async function chartSpec(name: ChartName, window: ReportWindow): Promise<BarChartSpec> {
    switch (name) {
      case 'revenue-by-day': {
        const r = await revenueReport(db, { ...window, defaultPlan: catalog.defaultPlan });
        return {
          title: '売上と原価（日別） / Revenue vs model cost by day',
          categories: r.days.map((d) => d.date),
          series: [
            {
              name: '売上 / Revenue',
              color: CHART_COLORS.revenue,
              values: r.days.map((d) => d.revenueYen),
            },
            {
              name: '原価 / Model cost',
              color: CHART_COLORS.cost,
              values: r.days.map((d) => d.costYen),
            },
          ],
          unit: 'yen',
          layout: 'grouped',
        };
      }
      case 'revenue-by-plan': {
        const r = await revenueReport(db, { ...window, defaultPlan: catalog.defaultPlan });
        return {
          title: '売上と原価（プラン別） / Revenue vs model cost by plan',
          categories: r.plans.map((p) => planName(p.planId)),
          series: [
            {
              name: '売上 / Revenue',
              color: CHART_COLORS.revenue,
              values: r.plans.map((p) => p.revenueYen),
            },
            {
              name: '原価 / Model cost',
              color: CHART_COLORS.cost,
              values: r.plans.map((p) => p.costYen),
            },
          ],
          unit: 'yen',
          layout: 'grouped',
        };
      }
      case 'failures': {
        const r = await failureReport(db, window);
        return {
          title: '失敗（日別） / Failures by day',
          categories: r.days.map((d) => d.date),
          series: [
            daySeries(r.days, '会話の失敗 / Turn failed', '#dc2626', 'turnFailed'),
            daySeries(r.days, '未達で返金 / Answer refunded', '#d97706', 'answerRefunded'),
            daySeries(r.days, 'スタンプ失敗 / Sticker failed', '#9333ea', 'stickerFailed'),
            daySeries(r.days, '受信の破棄 / Event given up', '#4b5563', 'eventGivenUp'),
          ],
          unit: 'count',
          layout: 'stacked',
        };
      }
      case 'stickers': {
        const r = await stickerReport(db, window);
        return {
          title: 'スタンプ作成（日別・結果） / Sticker jobs by day and outcome',
          categories: r.days.map((d) => d.date),
          series: [
            daySeries(r.days, '完了 / Completed', '#16a34a', 'completed'),
            daySeries(r.days, '失敗 / Failed', '#dc2626', 'failed'),
            daySeries(r.days, '取消 / Cancelled', '#6b7280', 'cancelled'),
            daySeries(r.days, '期限切れ / Expired', '#d97706', 'expired'),
            daySeries(r.days, '処理中 / In progress', '#2563eb', 'inProgress'),
          ],
          unit: 'count',
          layout: 'stacked',
        };
      }
      case 'turns':
      case 'cost-by-model': {
        const u = await usageReport(db, {
          days: window.days,
          to: window.to,
          timeZone: env.TIME_ZONE,
        });
        if (name === 'turns')
          return {
            title: '会話数（日別） / Chat turns by day',
            categories: u.days.map((d) => d.date),
            series: [
              {
                name: '会話 / Turns',
                color: CHART_COLORS.turns,
                values: u.days.map((d) => d.turns),
              },
            ],
            unit: 'count',
            layout: 'stacked',
          };
        return {
          title: 'モデル別原価（日別） / Model cost by day and model',
          categories: u.days.map((d) => d.date),
          series: u.models.map((m, i) => ({
            name: m,
            color: CHART_COLORS.models[i % CHART_COLORS.models.length]!,
            values: u.days.map((d) => d.byModel[m]?.yen ?? 0),
          })),
          unit: 'yen',
          layout: 'stacked',
        };
      }
    }
  }

  router.get('/admin/api/charts/:chart', auth, async (req, res) => {
    const name = String(req.params.chart).replace(/\.svg$/, '');
    if (!(CHART_NAMES as readonly string[]).includes(name))
      throw new HttpError(
        404,
        'NOT_FOUND',
        `no chart "${name}" (charts: ${CHART_NAMES.join(', ')})`,
      );
    const svg = barChart(await chartSpec(name as ChartName, windowOf(req)));
    res
      .set({ 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' })
      .type('image/svg+xml')
      .send(svg);
  });

  return router;
}

/** One chart series: a count per day, read from the report's day rows. */
function daySeries<D>(days: readonly D[], name: string, color: string, key: keyof D) {
  return { name, color, values: days.map((d) => Number(d[key])) };
}
