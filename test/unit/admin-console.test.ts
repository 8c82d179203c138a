import { barChart, formatValue, formatYen, niceScale } from '../../services/admin-charts';
import {
  likeEscape,
  prefixUpperBound,
  searchKindOf,
  UserSearchQuery,
} from '../../services/admin-search';
import { grantWorkflowId } from '../../services/admin-timeline';
import { fillAdminNotice } from '../../workflows/admin-adjust-points';
import { consolePage } from '../../api/routes/admin-usage-page';

describe('chart axes', () => {
  it('a small cost axis steps evenly and every label shows the step (not "0.01, 0.01, 0, 0")', () => {
    const scale = niceScale(0.0137, 'yen');
    expect(scale.step).toBe(0.005);
    expect(scale.ticks).toEqual([0, 0.005, 0.01, 0.015]);
    expect(scale.ticks.map((t) => formatValue(t, 'yen', scale.decimals))).toEqual([
      '¥0.000',
      '¥0.005',
      '¥0.010',
      '¥0.015',
    ]);
    const labels = scale.ticks.map((t) => formatValue(t, 'yen', scale.decimals));
    expect(new Set(labels).size).toBe(labels.length);
  });

  it('money in yen with thousands separators; counts in whole steps', () => {
    const money = niceScale(12_345, 'yen');
    expect(money.ticks.map((t) => formatValue(t, 'yen', money.decimals))).toEqual([
      '¥0',
      '¥5,000',
      '¥10,000',
      '¥15,000',
    ]);
    const counts = niceScale(3, 'count');
    expect(counts.ticks).toEqual([0, 1, 2, 3]);
    expect(niceScale(0, 'count').ticks).toEqual([0, 1]);
    expect(formatValue(1234567, 'count')).toBe('1,234,567');
    expect(formatYen(-500)).toBe('-¥500');
    expect(formatYen(0.01234)).toBe('¥0.0123');
  });

  it('draws escaped labels and one bar per positive value', () => {
    const svg = barChart({
      title: '<売上>',
      categories: ['2026-12-01', '2026-12-02'],
      series: [
        { name: 'A & B', color: '#000', values: [100, 0] },
        { name: 'C', color: '#111', values: [50, -20] },
      ],
      unit: 'yen',
      layout: 'grouped',
    });
    expect(svg).toContain('&lt;売上&gt;');
    expect(svg).toContain('A &amp; B');
    // Bars carry a tooltip; the legend swatches do not.
    expect(svg.match(/<rect [^>]*><title>/g)).toHaveLength(2);
    expect(svg).toContain('>12-01<');
    expect(svg).toContain('>¥100<');
  });
});

describe('user search input', () => {
  it('reads the query by its shape', () => {
    expect(searchKindOf('U1a2b', 'auto')).toBe('lineUserId');
    expect(searchKindOf('cus_Abc123', 'auto')).toBe('stripeCustomer');
    expect(searchKindOf('山田', 'auto')).toBe('displayName');
    expect(searchKindOf('Uma', 'auto')).toBe('displayName');
    expect(searchKindOf('U1', 'displayName')).toBe('displayName');
  });

  it('bounds an ID prefix range exactly', () => {
    expect(prefixUpperBound('U12')).toBe('U13');
    expect(prefixUpperBound('U1f')).toBe('U2');
    expect(prefixUpperBound('U9')).toBe('Ua');
    expect(prefixUpperBound('Uff')).toBe('V');
    expect(prefixUpperBound('U')).toBe('V');
    expect(likeEscape('50%_a\\b')).toBe('50\\%\\_a\\\\b');
  });

  it('validates and bounds the query', () => {
    expect(UserSearchQuery.parse({ q: ' x ' })).toEqual({ q: 'x', by: 'auto', limit: 20 });
    expect(UserSearchQuery.safeParse({ q: 'x', limit: '101' }).success).toBe(false);
    expect(UserSearchQuery.safeParse({ q: '' }).success).toBe(false);
    expect(UserSearchQuery.safeParse({ q: 'x'.repeat(101) }).success).toBe(false);
  });
});

describe('timeline links and notices', () => {
  it('links a grant only to a workflow its source names', () => {
    const payments = new Map([['checkout:cs_1', 'stripe-evt_1']]);
    expect(grantWorkflowId('admin:0f0e', payments)).toBe('admin-points-0f0e');
    expect(grantWorkflowId('checkout:cs_1', payments)).toBe('stripe-evt_1');
    expect(grantWorkflowId('signup:abc', payments)).toBeNull();
  });

  it('fills the notice template', () => {
    expect(fillAdminNotice('{points}pt / {balance}pt', { points: -20, balance: 30 })).toBe(
      '20pt / 30pt',
    );
  });

  it('the page is Japanese with English labels and self-contained', () => {
    const html = consolePage('n0nce');
    expect(html).toContain('利用者検索 / User search');
    expect(html).toContain('利用者タイムライン / User timeline');
    expect(html).toContain('売上と原価（日別） / Revenue vs model cost by day');
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=["']?https?:/);
    expect(html).not.toMatch(/innerHTML/);
  });
});
