import { randomBytes } from 'node:crypto';
import { Router } from 'express';
import { MAX_REPORT_DAYS, isDay, usageReport } from '../../ops/usage-report';
import { adminAuth } from '../admin-auth';
import { CONSOLE_SCRIPT } from './admin-console-script';
import type { ApiDeps } from '../deps';
import { HttpError } from '../errors';

/**
 * The operator console (運営コンソール), Japanese with English labels:
 *
 *   GET /admin, GET /admin/usage     a self-contained HTML shell (no external CDN, no data): it
 *                                    asks for the admin token (kept in sessionStorage only), then
 *                                    searches users, shows a user's timeline and the charts
 *                                    through the admin JSON API (api/routes/admin-console.ts)
 *   GET /admin/api/usage?days=30[&to=YYYY-MM-DD]
 *                                    admin token required; daily chat turns, points and yen cost
 *                                    by model, aggregated in SQL from usage_records
 *                                    (ops/usage-report.ts), days in TIME_ZONE
 *
 * The page is served with a nonce-based Content-Security-Policy: only its own inline script and
 * style run, and it can only talk to this origin.
 */
export function adminUsageRouter(deps: ApiDeps): Router {
  const router = Router();
  const { env } = deps.config;
  const auth = adminAuth(env.ADMIN_TOKEN);

  router.get(['/admin', '/admin/usage'], (_req, res) => {
    const nonce = randomBytes(16).toString('base64');
    res
      .set({
        'Content-Security-Policy':
          `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; ` +
          `connect-src 'self'; img-src 'self' data: blob:; base-uri 'none'; form-action 'none'; ` +
          `frame-ancestors 'none'`,
        'Cache-Control': 'no-store',
        'Referrer-Policy': 'no-referrer',
        'X-Content-Type-Options': 'nosniff',
      })
      .type('html')
      .send(consolePage(nonce));
  });

  router.get('/admin/api/usage', auth, async (req, res) => {
    const rawDays = req.query.days ?? '30';
    const days = typeof rawDays === 'string' && /^\d{1,3}$/.test(rawDays) ? Number(rawDays) : NaN;
    if (!Number.isInteger(days) || days < 1 || days > MAX_REPORT_DAYS)
      throw new HttpError(
        400,
        'INVALID_INPUT',
        `days must be an integer from 1 to ${MAX_REPORT_DAYS}`,
        { field: 'days' },
      );
    const to = req.query.to;
    if (to !== undefined && (typeof to !== 'string' || !isDay(to)))
      throw new HttpError(400, 'INVALID_INPUT', 'to must be a day (YYYY-MM-DD)', { field: 'to' });
    const report = await usageReport(deps.db, { days, to, timeZone: env.TIME_ZONE });
    res.set('Cache-Control', 'no-store').json(report);
  });

  return router;
}

/** The console page; `usagePage` is its old name. */
export function consolePage(nonce: string): string {
  return `<!doctype html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>運営コンソール / Operator console</title>
<style nonce="${nonce}">
  body { font-family: system-ui, "Noto Sans JP", sans-serif; margin: 1.5rem; color: #1f2933; background: #f7f8fa; }
  h1 { font-size: 1.3rem; margin: 0 0 1rem; }
  h2 { font-size: 1rem; margin: 0 0 .5rem; }
  section { background: #fff; border: 1px solid #dde1e6; border-radius: 6px; padding: 1rem;
            margin-bottom: 1rem; }
  form, .bar { display: flex; gap: .5rem; align-items: center; flex-wrap: wrap; }
  input, select, button { font: inherit; padding: .3rem .5rem; }
  #search-q { min-width: 22rem; }
  .error { color: #b42318; }
  .muted { color: #6b7280; font-size: .85rem; }
  img.chart { width: 100%; height: auto; display: block; }
  table { border-collapse: collapse; font-size: .9rem; margin-top: .5rem; }
  td, th { padding: .25rem .75rem; border-bottom: 1px solid #eee; text-align: left; }
  .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 1rem; }
  [hidden] { display: none !important; }
</style>
</head>
<body>
<h1>運営コンソール / Operator console</h1>
<section id="login">
  <form id="login-form">
    <label for="token">管理トークン / Admin token</label>
    <input id="token" type="password" autocomplete="off" required>
    <button type="submit">表示 / Open</button>
  </form>
  <p class="muted">トークンはこのタブ（sessionStorage）にだけ保存され、このサーバーにだけ送られます。/ The token stays in this tab and is sent only to this server.</p>
  <p id="login-error" class="error" hidden></p>
</section>
<div id="console" hidden>
  <section>
    <h2>利用者検索 / User search</h2>
    <form id="search-form">
      <input id="search-q" data-testid="search-input" maxlength="100" placeholder="U1234… / 表示名 display name / cus_…">
      <select id="search-by" aria-label="検索方法 / Search by">
        <option value="auto" selected>自動 / Auto</option>
        <option value="lineUserId">LINE user ID（前方一致 / prefix）</option>
        <option value="displayName">表示名 / Display name</option>
        <option value="stripeCustomer">Stripe customer ID</option>
      </select>
      <button type="submit" data-testid="search-submit">検索 / Search</button>
      <span id="search-status" class="muted"></span>
    </form>
    <p id="search-error" class="error" hidden></p>
    <table id="search-results"></table>
  </section>
  <section id="timeline-section" hidden>
    <h2>利用者タイムライン / User timeline: <span id="timeline-user" data-testid="timeline-user"></span></h2>
    <p class="muted"><a id="timeline-workflows" target="_blank" rel="noopener noreferrer">Temporal Web UI: この利用者のワークフロー / this user's workflows</a> · <span id="timeline-status"></span></p>
    <p id="timeline-error" class="error" hidden></p>
    <table id="timeline" data-testid="timeline"></table>
  </section>
  <section class="bar">
    <label for="days">期間 / Period</label>
    <select id="days">
      <option value="7">7日 / 7 days</option>
      <option value="30" selected>30日 / 30 days</option>
      <option value="90">90日 / 90 days</option>
    </select>
    <button id="reload" type="button">更新 / Reload</button>
    <button id="logout" type="button">トークンを消去 / Forget token</button>
    <span id="report-status" class="muted"></span>
    <span id="report-error" class="error" hidden></span>
  </section>
  <div class="grid">
    <section><h2>売上と原価（日別） / Revenue vs model cost by day</h2><img class="chart" id="chart-revenue-by-day" alt="売上と原価（日別） / Revenue vs model cost by day"></section>
    <section><h2>売上と原価（プラン別） / Revenue vs model cost by plan</h2><img class="chart" id="chart-revenue-by-plan" alt="売上と原価（プラン別） / Revenue vs model cost by plan"><table id="plan-totals"></table></section>
    <section><h2>失敗（日別） / Failures by day</h2><img class="chart" id="chart-failures" alt="失敗（日別） / Failures by day"></section>
    <section><h2>スタンプ作成（日別・結果） / Sticker jobs by day and outcome</h2><img class="chart" id="chart-stickers" alt="スタンプ作成 / Sticker jobs"></section>
    <section><h2>会話数（日別） / Chat turns by day</h2><img class="chart" id="chart-turns" alt="会話数 / Chat turns"></section>
    <section><h2>モデル別原価 / Model cost by model</h2><img class="chart" id="chart-cost-by-model" alt="モデル別原価 / Model cost"><table id="model-totals"></table></section>
  </div>
</div>
<script nonce="${nonce}">${CONSOLE_SCRIPT}</script>
</body>
</html>
`;
}

export const usagePage = consolePage;
