import { checkoutSessionParams } from '../../billing/checkout';
import {
  checkoutSourceRef,
  invoiceSourceRef,
  purchaseGrant,
  subscriptionPeriodGrant,
} from '../../billing/grants';
import {
  decidePaidPeriod,
  decideSubscriptionChange,
  type UserPlanState,
} from '../../billing/plans';
import { checkoutMode, findProduct, refundableUnits } from '../../billing/products';
import { refundTakeBacks } from '../../billing/refunds';
import { refundText, subscriptionPaidText } from '../../billing/texts';
import { loadCatalog } from '../../config/catalog';
import { stripeEndpoint } from '../../lib/stripe';

const catalog = loadCatalog();
const product = (id: string) => {
  const p = findProduct(catalog, id);
  if (!p) throw new Error(`no product ${id}`);
  return p;
};
const paidAt = new Date('2026-11-01T00:00:00Z');

describe('products', () => {
  it('finds catalog products only (not inherited properties)', () => {
    expect(findProduct(catalog, 'points_500')).toMatchObject({ kind: 'points', points: 500 });
    expect(findProduct(catalog, 'constructor')).toBeUndefined();
    expect(findProduct(catalog, undefined)).toBeUndefined();
  });

  it('maps kinds to checkout modes and refundable units', () => {
    expect(checkoutMode(product('sub_basic'))).toBe('subscription');
    expect(checkoutMode(product('tickets_5'))).toBe('payment');
    expect(refundableUnits(product('points_1200'))).toEqual({ unit: 'points', units: 1200 });
    expect(refundableUnits(product('tickets_5'))).toEqual({ unit: 'tickets', units: 5 });
    expect(refundableUnits(product('sub_premium'))).toEqual({ unit: 'points', units: 4000 });
  });
});

describe('checkout session parameters', () => {
  const request = {
    userId: 'u-1',
    lineUserId: 'U1',
    customerId: 'cus_1',
    successUrl: 'https://x/ok',
    cancelUrl: 'https://x/cancel',
  };

  it('one-time: inline JPY price, metadata on the session and its PaymentIntent', () => {
    const params = checkoutSessionParams({
      ...request,
      productId: 'points_500',
      product: product('points_500'),
    });
    expect(params).toMatchObject({
      mode: 'payment',
      customer: 'cus_1',
      client_reference_id: 'u-1',
      metadata: { userId: 'u-1', productId: 'points_500', lineUserId: 'U1' },
      payment_intent_data: {
        metadata: { userId: 'u-1', productId: 'points_500', lineUserId: 'U1' },
      },
      line_items: [{ quantity: 1, price_data: { currency: 'jpy', unit_amount: 500 } }],
    });
    expect(params.line_items?.[0]?.price_data).not.toHaveProperty('recurring');
    expect(params).not.toHaveProperty('subscription_data');
  });

  it('subscription: monthly recurring price, metadata on the subscription', () => {
    const params = checkoutSessionParams({
      ...request,
      productId: 'sub_basic',
      product: product('sub_basic'),
    });
    expect(params).toMatchObject({
      mode: 'subscription',
      subscription_data: { metadata: { userId: 'u-1', productId: 'sub_basic' } },
      line_items: [
        { price_data: { currency: 'jpy', unit_amount: 980, recurring: { interval: 'month' } } },
      ],
    });
    expect(params).not.toHaveProperty('payment_intent_data');
  });
});

describe('grants', () => {
  it('a points pack: keyed by the checkout session, expiring N days after the payment', () => {
    const p = product('points_500');
    if (p.kind !== 'points') throw new Error('kind');
    expect(purchaseGrant('points_500', p, 'cs_1', paidAt)).toEqual({
      kind: 'points',
      sourceRef: checkoutSourceRef('cs_1'),
      points: 500,
      expiresAt: new Date('2027-04-30T00:00:00Z'),
      reason: 'purchase:points_500',
    });
  });

  it('a ticket pack: one key per ticket under the session', () => {
    const p = product('tickets_5');
    if (p.kind !== 'tickets') throw new Error('kind');
    const grant = purchaseGrant('tickets_5', p, 'cs_2', paidAt);
    expect(grant).toEqual({
      kind: 'tickets',
      sourceRefs: ['cs_2:1', 'cs_2:2', 'cs_2:3', 'cs_2:4', 'cs_2:5'].map((s) => `checkout:${s}`),
      reason: 'purchase:tickets_5',
    });
  });

  it('subscription invoices: points with the first period and each renewal only', () => {
    const p = product('sub_basic');
    if (p.kind !== 'subscription') throw new Error('kind');
    const grant = (billingReason: string | null, amountPaid = 980) =>
      subscriptionPeriodGrant('sub_basic', p, {
        invoiceId: 'in_1',
        billingReason,
        amountPaid,
        paidAt,
      });
    expect(grant('subscription_create')).toMatchObject({
      sourceRef: invoiceSourceRef('in_1'),
      points: 1000,
      renewal: false,
      expiresAt: new Date('2026-12-06T00:00:00Z'),
    });
    expect(grant('subscription_cycle')).toMatchObject({ points: 1000, renewal: true });
    expect(grant('subscription_update').points).toBe(0);
    expect(grant(null).points).toBe(0);
    expect(grant('subscription_create', 0).points).toBe(0);
  });
});

describe('plans', () => {
  const now = new Date('2026-11-10T00:00:00Z');
  const free: UserPlanState = { planId: 'free', planPeriodEnd: null, stripeSubscriptionId: null };
  const end = new Date('2026-12-01T00:00:00Z');
  const paid = { subscriptionId: 'sub_1', planId: 'basic', periodEnd: end, ended: false };

  it('a paid period sets the plan, its end and the subscription', () => {
    expect(decidePaidPeriod(free, paid, now)).toEqual({
      action: 'set',
      planId: 'basic',
      periodEnd: end,
      subscriptionId: 'sub_1',
    });
  });

  it('never moves the same subscription backwards, never revives an ended one, ignores past periods', () => {
    const later: UserPlanState = {
      planId: 'basic',
      planPeriodEnd: new Date('2027-01-01T00:00:00Z'),
      stripeSubscriptionId: 'sub_1',
    };
    expect(decidePaidPeriod(later, paid, now)).toMatchObject({ action: 'keep' });
    expect(decidePaidPeriod(free, { ...paid, ended: true }, now)).toMatchObject({ action: 'keep' });
    expect(
      decidePaidPeriod(free, { ...paid, periodEnd: new Date('2026-11-01T00:00:00Z') }, now),
    ).toMatchObject({
      action: 'keep',
      reason: 'period already over',
    });
    // Another subscription of the same user (e.g. a new one after a cancellation) may set it.
    expect(decidePaidPeriod(later, { ...paid, subscriptionId: 'sub_2' }, now)).toMatchObject({
      action: 'set',
    });
  });

  it('subscription changes: deleted/canceled end finally, unpaid/paused suspend, past_due keeps', () => {
    const user: UserPlanState = {
      planId: 'basic',
      planPeriodEnd: end,
      stripeSubscriptionId: 'sub_1',
    };
    const change = (status: string, deleted = false) =>
      decideSubscriptionChange(
        user,
        {
          subscriptionId: 'sub_1',
          status,
          deleted,
          planId: 'premium',
          periodEnd: end,
          ended: false,
        },
        now,
      );
    expect(change('canceled', true)).toEqual({
      action: 'end',
      subscriptionId: 'sub_1',
      final: true,
    });
    expect(change('incomplete_expired')).toMatchObject({ action: 'end', final: true });
    expect(change('unpaid')).toMatchObject({ action: 'end', final: false });
    expect(change('past_due')).toMatchObject({ action: 'keep' });
    expect(change('active')).toMatchObject({ action: 'set', planId: 'premium' });
  });

  it('the end of an old subscription does not end a newer one', () => {
    const user: UserPlanState = {
      planId: 'premium',
      planPeriodEnd: end,
      stripeSubscriptionId: 'sub_new',
    };
    expect(
      decideSubscriptionChange(
        user,
        {
          subscriptionId: 'sub_old',
          status: 'canceled',
          deleted: true,
          planId: 'basic',
          periodEnd: end,
          ended: false,
        },
        now,
      ),
    ).toMatchObject({ action: 'keep' });
  });
});

describe('refund rule: proportional to the money returned, once per refund', () => {
  const refund = (id: string, amount: number, created: number, status = 'succeeded') => ({
    id,
    amount,
    created,
    status,
  });

  it('a full refund takes back everything', () => {
    expect(
      refundTakeBacks({
        chargeId: 'ch',
        chargeAmount: 1000,
        units: 1200,
        refunds: [refund('re_1', 1000, 1)],
      }),
    ).toEqual([{ refundId: 're_1', sourceRef: 'refund:ch:re_1', units: 1200 }]);
  });

  it('partial refunds add up to exactly the full take-back, whatever their order in the payload', () => {
    const refunds = [refund('re_b', 333, 2), refund('re_a', 333, 1), refund('re_c', 334, 3)];
    const takes = refundTakeBacks({ chargeId: 'ch', chargeAmount: 1000, units: 1200, refunds });
    expect(takes.map((t) => [t.refundId, t.units])).toEqual([
      ['re_a', 399],
      ['re_b', 400],
      ['re_c', 401],
    ]);
    expect(takes.reduce((n, t) => n + t.units, 0)).toBe(1200);
  });

  it('rounds down in the customer’s favour; failed refunds take nothing', () => {
    const takes = refundTakeBacks({
      chargeId: 'ch',
      chargeAmount: 1200,
      units: 5,
      refunds: [refund('re_1', 300, 1), refund('re_x', 900, 2, 'failed')],
    });
    expect(takes).toEqual([{ refundId: 're_1', sourceRef: 'refund:ch:re_1', units: 1 }]);
  });

  it('never takes back more than was granted', () => {
    const takes = refundTakeBacks({
      chargeId: 'ch',
      chargeAmount: 500,
      units: 500,
      refunds: [refund('re_1', 400, 1), refund('re_2', 400, 2)],
    });
    expect(takes.map((t) => t.units)).toEqual([400, 100]);
  });
});

describe('notices and the Stripe endpoint', () => {
  it('says what was granted, in Japanese', () => {
    expect(
      subscriptionPaidText({
        planName: 'ベーシック',
        renewal: true,
        points: 1000,
        periodEnd: new Date('2026-12-01T00:00:00Z'),
        timeZone: 'Asia/Tokyo',
      }),
    ).toBe(
      'ベーシックプランが更新されました。今月分の1000ポイントを付与しました。次回更新日は2026/12/01です。',
    );
    expect(refundText({ points: 600, tickets: 0 })).toContain('600ポイント');
  });

  it('splits STRIPE_API_BASE_URL into what the SDK takes', () => {
    expect(stripeEndpoint('http://127.0.0.1:12111')).toEqual({
      host: '127.0.0.1',
      port: 12111,
      protocol: 'http',
    });
    expect(stripeEndpoint('https://api.stripe.com')).toEqual({
      host: 'api.stripe.com',
      port: 443,
      protocol: 'https',
    });
  });
});
