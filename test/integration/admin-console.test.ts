import { randomUUID } from 'node:crypto';
import { fixedClock } from '../../domain/clock';
import { makeLineUserId } from '../../stand-ins';
import { recordStripePayments } from '../../services/stripe-payments';
import { startBillingHarness, type BillingHarness } from '../support/billing-harness';
import { checkoutSession, stripeEvent, stripeId } from '../support/stripe-events';
import { waitFor } from '../support/workers';
import { adminPointsNoticeWorkflowId } from '../../workflows/support/ids';
import { ledgerAt, settleTurnOf } from './ops-fixtures';

/**
 * The operator console's API through the real API, a real billing worker (grants and notices
 * as workflows on the real Temporal server), the LINE stand-in and PostgreSQL: search, the
 * timeline's links (each named workflow exists: the Temporal client describes it), revenue
 * against cost from known rows, and the grant / plan notices (one push each, also when LINE's
 * answer is lost after delivery and the activity retries, and when the request is repeated).
 */
describe('operator console API', () => {
  let h: BillingHarness;
  let token: string;

  beforeAll(async () => {
    h = await startBillingHarness('admin-console');
    token = h.config.env.ADMIN_TOKEN;
  }, 120_000);
  afterAll(async () => {
    await h?.stop();
  });

  async function call(method: string, path: string, body?: unknown) {
    const res = await fetch(`${h.apiUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        'x-admin-actor': 'operator-console-test',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // not JSON (charts)
    }
    return { status: res.status, body: json, text, type: res.headers.get('content-type') };
  }
  const pushesTo = (lineUserId: string) =>
    h.line.received({ userId: lineUserId, kind: 'push' }).filter((r) => r.to === lineUserId);

  describe('search', () => {
    const tag = randomUUID().slice(0, 8);
    let hanako: { lineUserId: string };
    let taro: { lineUserId: string };
    const customer = stripeId('cus');

    beforeAll(async () => {
      hanako = await h.db.user.create({
        data: { lineUserId: makeLineUserId(), displayName: `Hanako ${tag} 山田` },
      });
      taro = await h.db.user.create({
        data: {
          lineUserId: makeLineUserId(),
          displayName: `TARO_${tag}`,
          stripeCustomerId: customer,
        },
      });
    });

    it('finds a user by LINE user ID prefix (any case), bounded by limit', async () => {
      // Hex digits in upper case find the lower-case ID.
      const prefix = hanako.lineUserId.slice(0, 14).toUpperCase();
      const res = await call('GET', `/admin/api/users?q=${prefix}`);
      expect(res.status).toBe(200);
      expect(res.body.kind).toBe('lineUserId');
      const ids = (res.body.users as { lineUserId: string }[]).map((u) => u.lineUserId);
      expect(ids).toEqual([hanako.lineUserId]);

      // "U" alone matches every user (at least the two made here): bounded at one, and it
      // says more exist.
      const allU = await call('GET', '/admin/api/users?q=U&by=lineUserId&limit=1');
      expect(allU.status).toBe(200);
      expect((allU.body.users as unknown[]).length).toBe(1);
      expect(allU.body.truncated).toBe(true);
    });

    it('finds users by display-name substring, case-insensitive', async () => {
      const res = await call('GET', `/admin/api/users?q=${encodeURIComponent(`hanako ${tag}`)}`);
      expect(res.body).toMatchObject({ kind: 'displayName', truncated: false });
      expect((res.body.users as { lineUserId: string }[]).map((u) => u.lineUserId)).toEqual([
        hanako.lineUserId,
      ]);
      const lower = await call('GET', `/admin/api/users?q=taro_${tag}`);
      expect((lower.body.users as { displayName: string }[]).map((u) => u.displayName)).toEqual([
        `TARO_${tag}`,
      ]);
      // LIKE wildcards are literal: "%" matches no name here.
      const wildcard = await call('GET', `/admin/api/users?q=${encodeURIComponent(`${tag}%`)}`);
      expect(wildcard.body.users).toEqual([]);
      // Japanese substrings work too.
      const ja = await call('GET', `/admin/api/users?q=${encodeURIComponent('山田')}&limit=100`);
      expect((ja.body.users as { lineUserId: string }[]).map((u) => u.lineUserId)).toContain(
        hanako.lineUserId,
      );
    });

    it('finds a user by Stripe customer ID', async () => {
      const res = await call('GET', `/admin/api/users?q=${customer}`);
      expect(res.body).toMatchObject({
        kind: 'stripeCustomer',
        users: [{ lineUserId: taro.lineUserId, stripeCustomerId: customer }],
      });
    });

    it.each([
      ['/admin/api/users', 'q'],
      ['/admin/api/users?q=', 'q'],
      ['/admin/api/users?q=x&limit=1000', 'limit'],
      ['/admin/api/users?q=x&limit=abc', 'limit'],
      ['/admin/api/users?q=x&by=email', 'by'],
      ['/admin/api/users?q=x&sort=name', 'sort'],
      ['/admin/api/users?q=a&q=b', 'q'],
    ])('%s → 400 naming %s', async (path, field) => {
      const res = await call('GET', path);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error_code: 'INVALID_INPUT', field });
    });

    it('needs the admin token', async () => {
      const res = await fetch(`${h.apiUrl}/admin/api/users?q=U`);
      expect(res.status).toBe(401);
    });
  });

  describe('LINE notices of an operator change', () => {
    it('a grant is told once, although LINE answered 500 after delivering and the request is repeated', async () => {
      const user = await h.db.user.create({ data: { lineUserId: makeLineUserId() } });
      // LINE delivers the push, then the answer is lost: the activity retries with the same
      // X-Line-Retry-Key and LINE answers 409 (already accepted).
      h.line.failNext('/v2/bot/message/push', 500, 1, { applyEffect: true });
      const body = { delta: 120, reason: 'お詫び', requestId: randomUUID() };
      const first = await call('POST', `/admin/users/${user.lineUserId}/points`, body);
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({
        applied: true,
        balanceAfter: 120,
        noticeWorkflowId: adminPointsNoticeWorkflowId(body.requestId),
      });
      // The notice is its own workflow: the grant's answer does not wait on LINE.
      const notice = h.temporal.workflow.getHandle(first.body.noticeWorkflowId as string);
      await expect(notice.result()).resolves.toEqual({ notified: true });
      const again = await call('POST', `/admin/users/${user.lineUserId}/points`, body);
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ repeated: true });

      const pushes = pushesTo(user.lineUserId);
      expect(pushes).toHaveLength(1);
      expect(pushes[0]?.messages?.[0]?.text).toBe(
        '運営より120ポイントを付与しました。現在の残高は120ポイントです。',
      );
    });

    it('a take-back is told with its own text; notify: false tells nothing', async () => {
      const user = await h.db.user.create({ data: { lineUserId: makeLineUserId() } });
      const silent = await call('POST', `/admin/users/${user.lineUserId}/points`, {
        delta: 50,
        reason: 'test',
        requestId: randomUUID(),
        notify: false,
      });
      expect(silent.status).toBe(200);
      expect(silent.body.noticeWorkflowId).toBeUndefined();
      expect(pushesTo(user.lineUserId)).toHaveLength(0);
      const back = await call('POST', `/admin/users/${user.lineUserId}/points`, {
        delta: -20,
        reason: 'correction',
        requestId: randomUUID(),
      });
      expect(back.body).toMatchObject({ balanceAfter: 30 });
      await expect(
        h.temporal.workflow.getHandle(back.body.noticeWorkflowId as string).result(),
      ).resolves.toEqual({ notified: true });
      expect(pushesTo(user.lineUserId).map((r) => r.messages?.[0]?.text)).toEqual([
        '運営により20ポイントを差し引きました。現在の残高は30ポイントです。ご不明な点はお問い合わせください。',
      ]);
    });

    it('a plan change is told once; setting the same plan again tells nothing', async () => {
      const user = await h.db.user.create({ data: { lineUserId: makeLineUserId() } });
      const first = await call('PUT', `/admin/users/${user.lineUserId}/plan`, {
        planId: 'premium',
      });
      expect(first.status).toBe(200);
      const notice = first.body.notice as { workflowId: string; started: boolean };
      expect(notice.started).toBe(true);
      await expect(h.temporal.workflow.getHandle(notice.workflowId).result()).resolves.toEqual({
        notified: true,
      });
      const again = await call('PUT', `/admin/users/${user.lineUserId}/plan`, {
        planId: 'premium',
      });
      expect(again.body).toMatchObject({ changed: false, notice: null });
      expect(pushesTo(user.lineUserId).map((r) => r.messages?.[0]?.text)).toEqual([
        '運営によりご利用プランを「プレミアム」に変更しました。',
      ]);
    });
  });

  describe('timeline', () => {
    it('lists grants, a purchase and a plan change in time order, each linked to a workflow that exists', async () => {
      const user = await h.db.user.create({
        data: { lineUserId: makeLineUserId(), displayName: 'タイムライン' },
      });
      const grant = await call('POST', `/admin/users/${user.lineUserId}/points`, {
        delta: 10,
        reason: 'welcome back',
        requestId: randomUUID(),
      });
      expect(grant.status).toBe(200);
      const session = checkoutSession({
        metadata: { userId: user.id, productId: 'points_500', lineUserId: user.lineUserId },
        mode: 'payment',
        amountTotal: 500,
      });
      const event = stripeEvent('checkout.session.completed', session);
      expect((await h.deliver(event)).status).toBe(200);
      await h.handle(event.id).result();
      const plan = await call('PUT', `/admin/users/${user.lineUserId}/plan`, { planId: 'basic' });
      const planNotice = plan.body.notice as { workflowId: string };
      await h.temporal.workflow.getHandle(planNotice.workflowId).result();

      const res = await call('GET', `/admin/api/users/${user.lineUserId}/timeline`);
      expect(res.status).toBe(200);
      const entries = res.body.entries as {
        at: string;
        kind: string;
        workflowId: string | null;
        temporalUrl: string | null;
        amount?: number;
        points?: number;
      }[];
      expect(entries.map((e) => e.kind).sort()).toEqual(
        ['grant', 'grant', 'payment', 'plan'].sort(),
      );
      expect([...entries].map((e) => e.at)).toEqual(entries.map((e) => e.at).sort());
      expect(entries.find((e) => e.kind === 'payment')).toMatchObject({
        amount: 500,
        workflowId: `stripe-${event.id}`,
      });
      expect(entries.find((e) => e.kind === 'plan')?.workflowId).toBe(planNotice.workflowId);
      const ui = h.config.env.TEMPORAL_UI_URL.replace(/\/+$/, '');
      for (const e of entries) {
        expect(e.workflowId).toBeTruthy();
        expect(e.temporalUrl).toBe(
          `${ui}/namespaces/${encodeURIComponent(h.config.env.TEMPORAL_NAMESPACE)}/workflows/${encodeURIComponent(e.workflowId!)}`,
        );
        // The link names a workflow the server knows.
        const described = await h.temporal.workflow.getHandle(e.workflowId!).describe();
        expect(described.workflowId).toBe(e.workflowId);
      }
      expect(res.body.displayName).toBe('タイムライン');
    });

    it('answers 404 for an unknown user and 400 for a malformed ID or limit', async () => {
      expect((await call('GET', `/admin/api/users/${makeLineUserId()}/timeline`)).status).toBe(404);
      expect((await call('GET', '/admin/api/users/nobody/timeline')).status).toBe(400);
      const bad = await call('GET', `/admin/api/users/${makeLineUserId()}/timeline?limit=0`);
      expect(bad.body).toMatchObject({ error_code: 'INVALID_INPUT', field: 'limit' });
    });
  });

  describe('revenue against model cost', () => {
    it('sums Stripe amounts and model cost per local day and per plan', async () => {
      // Rows in 2019 (Asia/Tokyo days), a period no other test writes to.
      const basic = await h.db.user.create({
        data: { lineUserId: makeLineUserId(), planId: 'basic' },
      });
      const purged = await h.db.user.create({ data: { lineUserId: makeLineUserId() } });
      const pay = (userId: string, amount: number, iso: string, kind: 'checkout' | 'refund') =>
        recordStripePayments(h.db, [
          {
            sourceRef: `${kind}:${randomUUID()}`,
            userId,
            kind,
            productId: 'points_500',
            amount,
            currency: 'jpy',
            workflowId: null,
            occurredAt: new Date(iso),
          },
        ]);
      // 2019-03-01 JST: 500 + 1000 (basic); 2019-03-02 00:30 JST: -500 refund (basic);
      // 2019-03-02: 300 from a user purged afterwards.
      await pay(basic.id, 500, '2019-03-01T01:00:00Z', 'checkout');
      await pay(basic.id, 1000, '2019-03-01T14:59:00Z', 'checkout');
      await pay(basic.id, -500, '2019-03-01T15:30:00Z', 'refund');
      await pay(purged.id, 300, '2019-03-02T03:00:00Z', 'checkout');
      await h.db.user.delete({ where: { id: purged.id } });
      const turn = await settleTurnOf(
        ledgerAt(h.db, h.config, fixedClock('2019-03-02T02:00:00Z')),
        h.config,
        { userId: basic.id, tier: 'mid' },
      );
      const cost = turn.priced.records.reduce((s, r) => s + Number(r.yen), 0);
      expect(cost).toBeGreaterThan(0);

      const res = await call('GET', '/admin/api/reports?days=3&to=2019-03-03');
      expect(res.status).toBe(200);
      const revenue = res.body.revenue as {
        days: { date: string; revenueYen: number; costYen: number }[];
        plans: { planId: string; revenueYen: number; costYen: number }[];
        totals: { revenueYen: number; costYen: number };
      };
      expect(revenue.days.map((d) => [d.date, d.revenueYen])).toEqual([
        ['2019-03-01', 1500],
        ['2019-03-02', -200],
        ['2019-03-03', 0],
      ]);
      expect(revenue.days[1]?.costYen).toBeCloseTo(cost, 6);
      expect(revenue.plans).toEqual([
        { planId: '(purged)', revenueYen: 300, costYen: 0 },
        { planId: 'basic', revenueYen: 1000, costYen: expect.closeTo(cost, 6) },
      ]);
      expect(revenue.totals.revenueYen).toBe(1300);

      const chart = await call('GET', '/admin/api/charts/revenue-by-day.svg?days=3&to=2019-03-03');
      expect(chart.status).toBe(200);
      expect(chart.type).toMatch(/image\/svg\+xml/);
      expect(chart.text).toContain('¥1,500');
      expect(chart.text).toContain('>03-01<');
      expect((await call('GET', '/admin/api/charts/nope.svg')).status).toBe(404);
      expect((await call('GET', '/admin/api/reports?days=0')).body).toMatchObject({
        field: 'days',
      });
    });

    it('records a Stripe payment once however often the grant runs', async () => {
      const user = await h.db.user.create({ data: { lineUserId: makeLineUserId() } });
      const session = checkoutSession({
        metadata: { userId: user.id, productId: 'tickets_1', lineUserId: user.lineUserId },
        mode: 'payment',
        amountTotal: 300,
      });
      const first = stripeEvent('checkout.session.completed', session);
      const second = stripeEvent('checkout.session.completed', session);
      for (const event of [first, second]) {
        expect((await h.deliver(event)).status).toBe(200);
        await h.handle(event.id).result();
      }
      await waitFor(
        async () => (await h.db.stripePayment.count({ where: { userId: user.id } })) === 1,
        'one payment row',
        10_000,
      );
      expect(await h.db.stripePayment.findMany({ where: { userId: user.id } })).toEqual([
        expect.objectContaining({
          kind: 'checkout',
          amount: 300,
          currency: 'jpy',
          productId: 'tickets_1',
          workflowId: `stripe-${first.id}`,
        }),
      ]);
    });
  });
});
