import { randomBytes } from 'node:crypto';
import { Router } from 'express';
import { MAX_REPORT_DAYS, isDay, usageReport } from '../../ops/usage-report';
import { adminAuth } from '../admin-auth';
import type { ApiDeps } from '../deps';
import { HttpError } from '../errors';

/**
 * The admin usage page:
 *
 *   GET /admin/usage                 a self-contained HTML shell (no external CDN, no data): it
 *                                    asks for the admin token (kept in sessionStorage only), then
 *                                    fetches the JSON below and draws SVG charts with inline JS
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

  router.get('/admin/usage', (_req, res) => {
    const nonce = randomBytes(16).toString('base64');
    res
      .set({
        'Content-Security-Policy':
          `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; ` +
          `connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; ` +
          `frame-ancestors 'none'`,
        'Cache-Control': 'no-store',
        'Referrer-Policy': 'no-referrer',
        'X-Content-Type-Options': 'nosniff',
      })
      .type('html')
      .send(usagePage(nonce));
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

export function usagePage(nonce: string): string {
  return `<!doctype html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Usage (admin)</title>
<style nonce="${nonce}">
  body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #1f2933; background: #f7f8fa; }
  h1 { font-size: 1.3rem; margin: 0 0 1rem; }
  h2 { font-size: 1rem; margin: 0 0 .5rem; }
  section { background: #fff; border: 1px solid #dde1e6; border-radius: 6px; padding: 1rem;
            margin-bottom: 1rem; }
  form, .bar { display: flex; gap: .5rem; align-items: center; flex-wrap: wrap; }
  input, select, button { font: inherit; padding: .3rem .5rem; }
  .error { color: #b42318; }
  .muted { color: #6b7280; font-size: .85rem; }
  svg { width: 100%; height: auto; display: block; }
  table { border-collapse: collapse; font-size: .9rem; }
  td, th { padding: .25rem .75rem; border-bottom: 1px solid #eee; text-align: right; }
  td:first-child, th:first-child { text-align: left; }
  .legend { display: flex; gap: 1rem; flex-wrap: wrap; font-size: .85rem; margin-top: .25rem; }
  .swatch { display: inline-block; width: .8rem; height: .8rem; margin-right: .3rem;
            vertical-align: middle; }
  [hidden] { display: none !important; }
</style>
</head>
<body>
<h1>Usage</h1>
<section id="login">
  <form id="login-form">
    <label for="token">Admin token</label>
    <input id="token" type="password" autocomplete="off" required>
    <button type="submit">Show usage</button>
  </form>
  <p class="muted">The token stays in this tab (sessionStorage) and is sent only to this server.</p>
  <p id="login-error" class="error" hidden></p>
</section>
<div id="report" hidden>
  <section class="bar">
    <label for="days">Period</label>
    <select id="days">
      <option value="7">7 days</option>
      <option value="30" selected>30 days</option>
      <option value="90">90 days</option>
    </select>
    <button id="reload" type="button">Reload</button>
    <button id="logout" type="button">Forget token</button>
    <span id="status" class="muted"></span>
  </section>
  <section><h2>Chat turns per day</h2><div id="chart-turns"></div></section>
  <section><h2>Points per day</h2><div id="chart-points"></div></section>
  <section><h2>Cost per day by model (JPY)</h2><div id="chart-yen"></div><div id="legend-yen" class="legend"></div></section>
  <section><h2>Totals by model</h2><table id="totals"></table></section>
</div>
<script nonce="${nonce}">
(function () {
  'use strict';
  var KEY = 'adminToken';
  var COLORS = ['#2563eb', '#16a34a', '#d97706', '#9333ea', '#dc2626', '#0891b2', '#4b5563'];
  var SVG = 'http://www.w3.org/2000/svg';
  var $ = function (id) { return document.getElementById(id); };

  function el(name, attrs, text) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function fmt(n) {
    return n >= 100 ? Math.round(n).toLocaleString() : String(Math.round(n * 100) / 100);
  }

  /** Bar chart; several series are stacked. */
  function chart(container, dates, series) {
    var W = 900, H = 260, L = 56, R = 10, T = 10, B = 40;
    var totals = dates.map(function (_, i) {
      return series.reduce(function (s, x) { return s + (x.values[i] || 0); }, 0);
    });
    var max = Math.max.apply(null, totals.concat([0]));
    // A round axis: 4 gridlines at 1, 2 or 5 × 10^n.
    var raw = max > 0 ? max / 4 : 0.25;
    var mag = Math.pow(10, Math.floor(Math.log10(raw)));
    var n = raw / mag;
    var top = (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * mag * 4;
    var svg = el('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img' });
    var y = function (v) { return T + (H - T - B) * (1 - v / top); };
    for (var g = 0; g <= 4; g++) {
      var v = (top / 4) * g;
      svg.appendChild(el('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: '#e5e7eb' }));
      svg.appendChild(el('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#6b7280' }, fmt(v)));
    }
    var step = (W - L - R) / Math.max(dates.length, 1);
    var bw = Math.max(step * 0.7, 1);
    dates.forEach(function (d, i) {
      var base = 0, x = L + i * step + (step - bw) / 2;
      series.forEach(function (s) {
        var val = s.values[i] || 0;
        if (val <= 0) return;
        var rect = el('rect', { x: x, y: y(base + val), width: bw, height: y(base) - y(base + val), fill: s.color });
        rect.appendChild(el('title', {}, d + ' ' + s.name + ': ' + fmt(val)));
        svg.appendChild(rect);
        base += val;
      });
      var every = Math.ceil(dates.length / 10);
      if (i % every === 0)
        svg.appendChild(el('text', { x: x + bw / 2, y: H - B + 16, 'text-anchor': 'middle', 'font-size': 11, fill: '#6b7280' }, d.slice(5)));
    });
    container.replaceChildren(svg);
  }

  function render(report) {
    var dates = report.days.map(function (d) { return d.date; });
    chart($('chart-turns'), dates, [{ name: 'turns', color: COLORS[0], values: report.days.map(function (d) { return d.turns; }) }]);
    chart($('chart-points'), dates, [{ name: 'points', color: COLORS[1], values: report.days.map(function (d) { return d.points; }) }]);
    var series = report.models.map(function (m, i) {
      return { name: m, color: COLORS[i % COLORS.length], values: report.days.map(function (d) { return d.byModel[m] ? d.byModel[m].yen : 0; }) };
    });
    chart($('chart-yen'), dates, series);
    var legend = $('legend-yen');
    legend.replaceChildren();
    series.forEach(function (s) {
      var item = document.createElement('span');
      var sw = document.createElement('span');
      sw.className = 'swatch';
      sw.style.background = s.color;
      item.appendChild(sw);
      item.appendChild(document.createTextNode(s.name));
      legend.appendChild(item);
    });
    var table = $('totals');
    table.replaceChildren();
    var row = function (cells, tag) {
      var tr = document.createElement('tr');
      cells.forEach(function (c) { var td = document.createElement(tag); td.textContent = c; tr.appendChild(td); });
      table.appendChild(tr);
    };
    row(['Model', 'Turns', 'Points', 'JPY', 'USD'], 'th');
    report.models.forEach(function (m) {
      var t = report.totals.byModel[m];
      row([m, fmt(t.turns), fmt(t.points), fmt(t.yen), t.dollars.toFixed(4)], 'td');
    });
    var t = report.totals;
    row(['All', fmt(t.turns), fmt(t.points), fmt(t.yen), t.dollars.toFixed(4)], 'th');
    $('status').textContent = report.from + ' – ' + report.to + ' (' + report.timeZone + ')';
  }

  function showLogin(message) {
    $('report').hidden = true;
    $('login').hidden = false;
    $('login-error').hidden = !message;
    $('login-error').textContent = message || '';
  }

  function load() {
    var token = sessionStorage.getItem(KEY);
    if (!token) return showLogin();
    $('login').hidden = true;
    $('report').hidden = false;
    $('status').textContent = 'Loading…';
    fetch('/admin/api/usage?days=' + encodeURIComponent($('days').value), {
      headers: { Authorization: 'Bearer ' + token, Accept: 'application/json' },
      cache: 'no-store',
    }).then(function (res) {
      return res.json().then(function (body) {
        if (res.status === 401) { sessionStorage.removeItem(KEY); return showLogin(body.error || 'Invalid token'); }
        if (!res.ok) { $('status').textContent = 'Error: ' + (body.error || res.status); return; }
        render(body);
      });
    }).catch(function (err) { $('status').textContent = 'Error: ' + err.message; });
  }

  $('login-form').addEventListener('submit', function (e) {
    e.preventDefault();
    sessionStorage.setItem(KEY, $('token').value.trim());
    $('token').value = '';
    load();
  });
  $('reload').addEventListener('click', load);
  $('days').addEventListener('change', load);
  $('logout').addEventListener('click', function () { sessionStorage.removeItem(KEY); showLogin(); });
  load();
})();
</script>
</body>
</html>
`;
}
