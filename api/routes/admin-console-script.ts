/**
 * The operator console's browser script (served inline under the page's CSP nonce; no CDN). It
 * keeps the admin token in sessionStorage, calls the JSON API with it, and shows the server's
 * SVG charts as images from blob URLs (an SVG in an <img> runs nothing). Every text from the
 * server goes in through textContent, never as markup.
 */
export const CONSOLE_SCRIPT = `
(function () {
  'use strict';
  var KEY = 'adminToken';
  var $ = function (id) { return document.getElementById(id); };
  var CHARTS = ['revenue-by-day', 'revenue-by-plan', 'failures', 'stickers', 'turns', 'cost-by-model'];
  var KINDS = { turn: '会話 / Turn', payment: '支払い / Payment', grant: '付与 / Grant', plan: 'プラン / Plan', sticker: 'スタンプ / Stickers' };
  var blobs = [];

  function yen(n) {
    var abs = Math.abs(n);
    var d = abs >= 100 || abs === 0 ? 0 : abs >= 1 ? 2 : 4;
    return (n < 0 ? '-' : '') + '¥' + abs.toLocaleString('ja-JP', { minimumFractionDigits: d, maximumFractionDigits: d });
  }
  function count(n) { return Number(n).toLocaleString('ja-JP'); }
  function when(iso) { return new Date(iso).toLocaleString('ja-JP'); }
  function cell(tr, text, tag) {
    var td = document.createElement(tag || 'td');
    td.textContent = text;
    tr.appendChild(td);
    return td;
  }
  function headRow(table, cells) {
    var tr = document.createElement('tr');
    cells.forEach(function (c) { cell(tr, c, 'th'); });
    table.appendChild(tr);
  }

  function api(path) {
    var token = sessionStorage.getItem(KEY);
    return fetch(path, { headers: { Authorization: 'Bearer ' + token }, cache: 'no-store' }).then(function (res) {
      if (res.status === 401) { sessionStorage.removeItem(KEY); showLogin('トークンが無効です / Invalid token'); throw new Error('unauthenticated'); }
      return res;
    });
  }
  function json(path) {
    return api(path).then(function (res) {
      return res.json().then(function (body) {
        if (!res.ok) throw new Error(body.error || ('HTTP ' + res.status));
        return body;
      });
    });
  }
  function fail(target) {
    return function (err) { if (err.message !== 'unauthenticated') { target.hidden = false; target.textContent = 'エラー / Error: ' + err.message; } };
  }

  function search(event) {
    if (event) event.preventDefault();
    var q = $('search-q').value.trim();
    $('search-error').hidden = true;
    if (!q) { $('search-error').hidden = false; $('search-error').textContent = '検索語を入力してください / Enter a search term'; return; }
    var url = '/admin/api/users?q=' + encodeURIComponent(q) + '&by=' + encodeURIComponent($('search-by').value) + '&limit=50';
    json(url).then(function (body) {
      var table = $('search-results');
      table.replaceChildren();
      headRow(table, ['LINE user ID', '表示名 / Name', 'Stripe customer', 'プラン / Plan', '登録 / Since', '']);
      body.users.forEach(function (u) {
        var tr = document.createElement('tr');
        tr.setAttribute('data-testid', 'search-result');
        cell(tr, u.lineUserId);
        cell(tr, u.displayName || '—');
        cell(tr, u.stripeCustomerId || '—');
        cell(tr, u.planId + (u.deletedAt ? '（退会 / unfollowed）' : ''));
        cell(tr, when(u.createdAt));
        var td = cell(tr, '');
        var b = document.createElement('button');
        b.type = 'button';
        b.textContent = '履歴 / Timeline';
        b.setAttribute('data-testid', 'open-timeline');
        b.addEventListener('click', function () { timeline(u.lineUserId); });
        td.appendChild(b);
        table.appendChild(tr);
      });
      $('search-status').textContent = body.users.length + '件 / results' + (body.truncated ? '（上限まで表示 / more matched）' : '') + ' · ' + body.kind;
    }).catch(fail($('search-error')));
  }

  function timeline(lineUserId) {
    $('timeline-section').hidden = false;
    $('timeline-error').hidden = true;
    json('/admin/api/users/' + encodeURIComponent(lineUserId) + '/timeline?limit=200').then(function (t) {
      $('timeline-user').textContent = t.lineUserId + (t.displayName ? '（' + t.displayName + '）' : '');
      $('timeline-workflows').href = t.workflowsUrl;
      var table = $('timeline');
      table.replaceChildren();
      headRow(table, ['日時 / Time', '種類 / Kind', '内容 / What', '結果 / Outcome', 'ポイント / Points', '金額 / Amount', 'Temporal']);
      t.entries.forEach(function (e) {
        var tr = document.createElement('tr');
        tr.setAttribute('data-testid', 'timeline-entry');
        tr.setAttribute('data-kind', e.kind);
        cell(tr, when(e.at));
        cell(tr, KINDS[e.kind] || e.kind);
        cell(tr, e.summary);
        cell(tr, e.outcome);
        cell(tr, e.points === undefined ? '' : count(e.points));
        cell(tr, e.amount === undefined ? '' : yen(e.amount));
        var td = cell(tr, '');
        if (e.temporalUrl) {
          var a = document.createElement('a');
          a.href = e.temporalUrl;
          a.target = '_blank';
          a.rel = 'noopener noreferrer';
          a.textContent = e.workflowId;
          a.setAttribute('data-testid', 'timeline-link');
          td.appendChild(a);
        }
        table.appendChild(tr);
      });
      $('timeline-status').textContent = t.entries.length + '件 / entries' + (t.truncated ? '（古い記録は省略 / older entries cut）' : '');
    }).catch(fail($('timeline-error')));
  }

  function reports() {
    var q = '?days=' + encodeURIComponent($('days').value);
    blobs.forEach(function (u) { URL.revokeObjectURL(u); });
    blobs = [];
    CHARTS.forEach(function (name) {
      api('/admin/api/charts/' + name + '.svg' + q).then(function (res) {
        if (!res.ok) throw new Error('HTTP ' + res.status);
        return res.blob();
      }).then(function (blob) {
        var url = URL.createObjectURL(blob);
        blobs.push(url);
        var img = $('chart-' + name);
        img.src = url;
      }).catch(fail($('report-error')));
    });
    json('/admin/api/reports' + q).then(function (r) {
      var table = $('plan-totals');
      table.replaceChildren();
      headRow(table, ['プラン / Plan', '売上 / Revenue', '原価 / Model cost', '差 / Margin']);
      r.revenue.plans.concat([{ planId: '合計 / Total', revenueYen: r.revenue.totals.revenueYen, costYen: r.revenue.totals.costYen }]).forEach(function (p) {
        var tr = document.createElement('tr');
        cell(tr, p.planId);
        cell(tr, yen(p.revenueYen));
        cell(tr, yen(p.costYen));
        cell(tr, yen(p.revenueYen - p.costYen));
        table.appendChild(tr);
      });
      $('report-status').textContent = r.revenue.from + ' – ' + r.revenue.to + ' (' + r.revenue.timeZone + ')';
    }).catch(fail($('report-error')));
    json('/admin/api/usage' + q).then(function (u) {
      var table = $('model-totals');
      table.replaceChildren();
      headRow(table, ['モデル / Model', '会話 / Turns', 'ポイント / Points', '原価 / Cost (JPY)', 'USD']);
      u.models.forEach(function (m) {
        var t = u.totals.byModel[m];
        var tr = document.createElement('tr');
        [m, count(t.turns), count(t.points), yen(t.yen), '$' + t.dollars.toFixed(4)].forEach(function (c) { cell(tr, c); });
        table.appendChild(tr);
      });
    }).catch(fail($('report-error')));
  }

  function showLogin(message) {
    $('console').hidden = true;
    $('login').hidden = false;
    $('login-error').hidden = !message;
    $('login-error').textContent = message || '';
  }
  function start() {
    if (!sessionStorage.getItem(KEY)) return showLogin();
    $('login').hidden = true;
    $('console').hidden = false;
    reports();
  }

  $('login-form').addEventListener('submit', function (e) {
    e.preventDefault();
    sessionStorage.setItem(KEY, $('token').value.trim());
    $('token').value = '';
    start();
  });
  $('search-form').addEventListener('submit', search);
  $('reload').addEventListener('click', reports);
  $('days').addEventListener('change', reports);
  $('logout').addEventListener('click', function () { sessionStorage.removeItem(KEY); showLogin(); });
  start();
  document.body.setAttribute('data-ready', 'true');
})();
`;
