/**
 * Server-side SVG bar charts for the operator console: no script, no CDN, so the page shows
 * the same numbers the JSON has and the axis logic is tested here. Axes read as money or counts
 * at round steps (1, 2 or 5 × 10ⁿ): a cost axis of ¥0.002 steps reads "¥0, ¥0.002, ¥0.004…",
 * never "0.01, 0.01, 0, 0" from rounding each label on its own.
 */

export type ChartUnit = 'yen' | 'count';

export interface Scale {
  step: number;
  top: number;
  /** Decimals every label of this axis shows (the step's). */
  decimals: number;
  ticks: number[];
}

/** A round axis from 0 to at least `max` in about `target` steps. Counts step by whole numbers. */
export function niceScale(max: number, unit: ChartUnit, target = 4): Scale {
  const safeMax = Number.isFinite(max) && max > 0 ? max : 0;
  let step: number;
  if (safeMax === 0) step = 1;
  else {
    const raw = safeMax / target;
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const n = raw / mag;
    step = (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * mag;
    if (unit === 'count') step = Math.max(1, Math.ceil(step));
  }
  const count = Math.max(1, Math.ceil(safeMax / step - 1e-9));
  const decimals = step >= 1 ? 0 : Math.min(8, Math.ceil(-Math.log10(step) - 1e-9));
  const ticks = Array.from({ length: count + 1 }, (_, i) => round(i * step, decimals));
  return { step, top: round(count * step, decimals), decimals, ticks };
}

function round(value: number, decimals: number): number {
  const f = Math.pow(10, decimals);
  return Math.round(value * f) / f;
}

/** `¥1,234`, `¥0.004`, `-¥300`; counts as `1,234`. */
export function formatValue(value: number, unit: ChartUnit, decimals = 0): string {
  const abs = Math.abs(value).toLocaleString('en-US', {
    minimumFractionDigits: decimals,
    maximumFractionDigits: decimals,
  });
  const sign = value < 0 && Number(abs.replace(/,/g, '')) !== 0 ? '-' : '';
  return unit === 'yen' ? `${sign}¥${abs}` : `${sign}${abs}`;
}

/** Yen to show in a table or tooltip: whole yen from ¥100, otherwise down to 0.0001. */
export function formatYen(value: number): string {
  const abs = Math.abs(value);
  const decimals = abs >= 100 || abs === 0 ? 0 : abs >= 1 ? 2 : 4;
  return formatValue(value, 'yen', decimals);
}

export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

export interface ChartSeries {
  /** Legend label (Japanese / English). */
  name: string;
  color: string;
  values: number[];
}

export interface BarChartSpec {
  /** Accessible name of the chart. */
  title: string;
  /** X labels: days (YYYY-MM-DD, shown as MM-DD) or categories (plans). */
  categories: string[];
  series: ChartSeries[];
  unit: ChartUnit;
  /** stacked: one bar per category; grouped: side by side (revenue against cost). */
  layout: 'stacked' | 'grouped';
}

const W = 900;
const H = 260;
const LEFT = 72;
const RIGHT = 10;
const TOP = 12;
const BOTTOM = 40;
const AXIS = 'font-size="11" fill="#6b7280"';

/** Negative values (refunds) are drawn as 0: the tables below the charts show them. */
export function barChart(spec: BarChartSpec): string {
  const { categories, series, unit } = spec;
  const pos = (v: number | undefined) => (v !== undefined && v > 0 ? v : 0);
  const heights = categories.map((_, i) =>
    spec.layout === 'stacked'
      ? series.reduce((s, x) => s + pos(x.values[i]), 0)
      : Math.max(0, ...series.map((x) => pos(x.values[i]))),
  );
  const scale = niceScale(Math.max(0, ...heights), unit);
  const y = (v: number) => TOP + (H - TOP - BOTTOM) * (1 - v / scale.top);
  const parts: string[] = [];
  for (const tick of scale.ticks) {
    parts.push(
      `<line x1="${LEFT}" x2="${W - RIGHT}" y1="${y(tick).toFixed(1)}" y2="${y(tick).toFixed(1)}" stroke="#e5e7eb"/>`,
      `<text x="${LEFT - 6}" y="${(y(tick) + 4).toFixed(1)}" text-anchor="end" ${AXIS}>${escapeXml(formatValue(tick, unit, scale.decimals))}</text>`,
    );
  }
  const slot = (W - LEFT - RIGHT) / Math.max(categories.length, 1);
  const every = Math.max(1, Math.ceil(categories.length / 12));
  categories.forEach((category, i) => {
    const label = /^\d{4}-\d{2}-\d{2}$/.test(category) ? category.slice(5) : category;
    const x0 = LEFT + i * slot;
    const barWidth = Math.max(slot * 0.7, 1);
    let base = 0;
    series.forEach((s, k) => {
      const value = s.values[i] ?? 0;
      const v = pos(value);
      const width = spec.layout === 'stacked' ? barWidth : barWidth / series.length;
      const x = x0 + (slot - barWidth) / 2 + (spec.layout === 'stacked' ? 0 : k * width);
      const from = spec.layout === 'stacked' ? base : 0;
      if (v > 0)
        parts.push(
          `<rect x="${x.toFixed(1)}" y="${y(from + v).toFixed(1)}" width="${Math.max(width - 1, 1).toFixed(1)}" ` +
            `height="${(y(from) - y(from + v)).toFixed(1)}" fill="${escapeXml(s.color)}">` +
            `<title>${escapeXml(`${category} ${s.name}: ${unit === 'yen' ? formatYen(value) : formatValue(value, 'count')}`)}</title></rect>`,
        );
      if (spec.layout === 'stacked') base += v;
    });
    if (i % every === 0)
      parts.push(
        `<text x="${(x0 + slot / 2).toFixed(1)}" y="${H - BOTTOM + 16}" text-anchor="middle" ${AXIS}>${escapeXml(label)}</text>`,
      );
  });
  const legend = series
    .map(
      (s, k) =>
        `<rect x="${LEFT + k * 200}" y="${H - 14}" width="10" height="10" fill="${escapeXml(s.color)}"/>` +
        `<text x="${LEFT + k * 200 + 14}" y="${H - 5}" font-size="11" fill="#1f2933">${escapeXml(s.name)}</text>`,
    )
    .join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeXml(spec.title)}">` +
    `<title>${escapeXml(spec.title)}</title>${parts.join('')}${legend}</svg>`
  );
}
