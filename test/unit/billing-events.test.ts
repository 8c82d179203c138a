import type Stripe from 'stripe';
import { toBillingEvent } from '../../billing/events';
import {
  checkoutSession,
  invoice,
  refundedCharge,
  stripeEvent,
  subscription,
  type StripeEventJson,
} from '../support/stripe-events';

const meta = {
  userId: '6f1d2c4e-0b7a-4f0e-9a55-1c2d3e4f5a6b',
  productId: 'points_500',
  lineUserId: 'U0123456789abcdef0123456789abcdef',
};
const asEvent = (e: StripeEventJson) => e as unknown as Stripe.Event;

describe('toBillingEvent: Stripe events reduced to the grant workflow input', () => {
  it('reads a paid one-time checkout: session, mode, owner hints and product', () => {
    const session = checkoutSession({
      metadata: meta,
      mode: 'payment',
      amountTotal: 500,
      customerId: 'cus_1',
    });
    const e = stripeEvent('checkout.session.completed', session, {
      id: 'evt_1',
      created: 1_800_000_000,
    });
    expect(toBillingEvent(asEvent(e))).toEqual({
      kind: 'checkout_completed',
      eventId: 'evt_1',
      eventType: 'checkout.session.completed',
      created: 1_800_000_000,
      sessionId: session.id,
      mode: 'payment',
      amountTotal: 500,
      currency: 'jpy',
      productId: 'points_500',
      owner: { userId: meta.userId, lineUserId: meta.lineUserId, customerId: 'cus_1' },
    });
  });

  it('ignores an unpaid (delayed payment) checkout: the async_payment_succeeded event grants', () => {
    const unpaid = checkoutSession({
      metadata: meta,
      mode: 'payment',
      amountTotal: 500,
      paymentStatus: 'unpaid',
    });
    expect(
      toBillingEvent(asEvent(stripeEvent('checkout.session.completed', unpaid))),
    ).toMatchObject({
      kind: 'ignored',
      reason: expect.stringContaining('not paid'),
    });
    const paid = { ...unpaid, payment_status: 'paid' };
    const later = toBillingEvent(
      asEvent(stripeEvent('checkout.session.async_payment_succeeded', paid)),
    );
    expect(later).toMatchObject({ kind: 'checkout_completed', sessionId: unpaid.id });
  });

  it('reads a subscription checkout with its subscription and customer', () => {
    const s = checkoutSession({
      metadata: { ...meta, productId: 'sub_basic' },
      mode: 'subscription',
      amountTotal: 980,
      customerId: 'cus_2',
      subscriptionId: 'sub_2',
    });
    expect(toBillingEvent(asEvent(stripeEvent('checkout.session.completed', s)))).toMatchObject({
      kind: 'checkout_completed',
      mode: 'subscription',
      productId: 'sub_basic',
      owner: { userId: meta.userId, customerId: 'cus_2', subscriptionId: 'sub_2' },
    });
  });

  it('reads invoice.paid in the current API shape: subscription and metadata under parent, period on lines', () => {
    const inv = invoice({
      customerId: 'cus_3',
      subscriptionId: 'sub_3',
      billingReason: 'subscription_cycle',
      amountPaid: 980,
      metadata: { ...meta, productId: 'sub_basic' },
      periodStart: 1_800_000_000,
      periodEnd: 1_802_592_000,
    });
    expect(toBillingEvent(asEvent(stripeEvent('invoice.paid', inv)))).toMatchObject({
      kind: 'invoice_paid',
      invoiceId: inv.id,
      subscriptionId: 'sub_3',
      billingReason: 'subscription_cycle',
      amountPaid: 980,
      periodEnd: 1_802_592_000,
      productId: 'sub_basic',
      owner: { userId: meta.userId, customerId: 'cus_3', subscriptionId: 'sub_3' },
    });
  });

  it('reads the legacy invoice shape (top-level subscription)', () => {
    const inv = {
      id: 'in_legacy',
      object: 'invoice',
      customer: 'cus_4',
      subscription: 'sub_4',
      billing_reason: 'subscription_create',
      amount_paid: 980,
      lines: {
        object: 'list',
        data: [{ metadata: { productId: 'sub_basic' }, period: { start: 1, end: 2 } }],
      },
    };
    expect(toBillingEvent(asEvent(stripeEvent('invoice.paid', inv)))).toMatchObject({
      kind: 'invoice_paid',
      subscriptionId: 'sub_4',
      productId: 'sub_basic',
      periodEnd: 2,
    });
  });

  it('ignores an invoice that is not for a subscription', () => {
    const e = stripeEvent('invoice.paid', {
      id: 'in_x',
      object: 'invoice',
      parent: null,
      customer: 'cus_x',
    });
    expect(toBillingEvent(asEvent(e))).toMatchObject({ kind: 'ignored' });
  });

  it('reads subscription changes, period end from the items', () => {
    const sub = subscription({
      id: 'sub_5',
      customerId: 'cus_5',
      status: 'active',
      metadata: { ...meta, productId: 'sub_premium' },
      priceYen: 2980,
      periodStart: 100,
      periodEnd: 200,
      cancelAtPeriodEnd: true,
    });
    expect(
      toBillingEvent(asEvent(stripeEvent('customer.subscription.updated', sub))),
    ).toMatchObject({
      kind: 'subscription_changed',
      subscriptionId: 'sub_5',
      status: 'active',
      deleted: false,
      cancelAtPeriodEnd: true,
      periodEnd: 200,
      productId: 'sub_premium',
    });
    const ended = { ...sub, status: 'canceled' };
    expect(
      toBillingEvent(asEvent(stripeEvent('customer.subscription.deleted', ended))),
    ).toMatchObject({
      deleted: true,
      status: 'canceled',
    });
  });

  it('reads a refunded charge with its refunds, or without them when the payload omits the list', () => {
    const charge = refundedCharge({
      amount: 1000,
      refunds: [{ id: 're_1', amount: 400, created: 10 }],
      metadata: meta,
      customerId: 'cus_6',
      paymentIntentId: 'pi_6',
    });
    expect(toBillingEvent(asEvent(stripeEvent('charge.refunded', charge)))).toMatchObject({
      kind: 'charge_refunded',
      chargeId: charge.id,
      paymentIntentId: 'pi_6',
      amount: 1000,
      amountRefunded: 400,
      refunds: [{ id: 're_1', amount: 400, created: 10, status: 'succeeded' }],
      productId: 'points_500',
    });
    const bare = refundedCharge({ amount: 1000, refunds: [], metadata: {}, listRefunds: false });
    const parsed = toBillingEvent(asEvent(stripeEvent('charge.refunded', bare)));
    expect(parsed).toMatchObject({ kind: 'charge_refunded' });
    expect(parsed).not.toHaveProperty('refunds');
    expect(parsed).not.toHaveProperty('productId');
  });

  it('acknowledges other event types without acting on them', () => {
    const e = stripeEvent('customer.created', { id: 'cus_7', object: 'customer' });
    expect(toBillingEvent(asEvent(e))).toEqual({
      kind: 'ignored',
      eventId: e.id,
      eventType: 'customer.created',
      reason: 'event type not handled',
    });
  });

  it('survives a payload without a data object', () => {
    const e = { id: 'evt_x', type: 'invoice.paid', data: null } as unknown as Stripe.Event;
    expect(toBillingEvent(e)).toMatchObject({ kind: 'ignored' });
  });
});
