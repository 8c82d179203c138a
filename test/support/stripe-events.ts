import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';

/**
 * Stripe webhook events as Stripe sends them (API version of the pinned SDK, 2026-10-28), and
 * their signature. stripe-mock sends no webhooks, so tests build the payloads here and sign
 * them with the webhook secret exactly as Stripe does (`t=<time>,v1=<HMAC>`).
 */

export const API_VERSION = '2026-10-28.endive';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** A Stripe-shaped ID: `<prefix>_` + 24 base62 characters. */
export function stripeId(prefix: string): string {
  return `${prefix}_${Array.from(randomBytes(24), (b) => BASE62[b % 62]).join('')}`;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);
const DAY = 24 * 60 * 60;

export interface PurchaseMetadata {
  userId: string;
  productId: string;
  lineUserId: string;
}

export type StripeEventJson = {
  id: string;
  object: 'event';
  type: string;
  created: number;
  data: { object: Record<string, unknown>; previous_attributes?: Record<string, unknown> };
  [key: string]: unknown;
};

export function stripeEvent(
  type: string,
  object: Record<string, unknown>,
  opts: { id?: string; created?: number; previousAttributes?: Record<string, unknown> } = {},
): StripeEventJson {
  return {
    id: opts.id ?? stripeId('evt'),
    object: 'event',
    api_version: API_VERSION,
    created: opts.created ?? nowSeconds(),
    data: {
      object,
      ...(opts.previousAttributes ? { previous_attributes: opts.previousAttributes } : {}),
    },
    livemode: false,
    pending_webhooks: 1,
    request: { id: stripeId('req'), idempotency_key: null },
    type,
  };
}

export function checkoutSession(o: {
  metadata: PurchaseMetadata;
  mode: 'payment' | 'subscription';
  amountTotal: number;
  /** `jpy` unless told otherwise (a tampered or foreign-currency session). */
  currency?: string;
  id?: string;
  customerId?: string;
  subscriptionId?: string;
  paymentIntentId?: string;
  paymentStatus?: 'paid' | 'unpaid' | 'no_payment_required';
}): Record<string, unknown> {
  const created = nowSeconds() - 60;
  return {
    id: o.id ?? stripeId('cs_test'),
    object: 'checkout.session',
    amount_subtotal: o.amountTotal,
    amount_total: o.amountTotal,
    cancel_url: 'http://127.0.0.1:3000/checkout/cancelled',
    client_reference_id: o.metadata.userId,
    created,
    currency: o.currency ?? 'jpy',
    customer: o.customerId ?? stripeId('cus'),
    customer_creation: null,
    expires_at: created + DAY,
    invoice: null,
    livemode: false,
    locale: 'ja',
    metadata: { ...o.metadata },
    mode: o.mode,
    payment_intent: o.mode === 'payment' ? (o.paymentIntentId ?? stripeId('pi')) : null,
    payment_method_types: ['card'],
    payment_status: o.paymentStatus ?? 'paid',
    status: 'complete',
    subscription: o.mode === 'subscription' ? (o.subscriptionId ?? stripeId('sub')) : null,
    success_url: 'http://127.0.0.1:3000/checkout/complete',
    ui_mode: 'hosted',
    url: null,
  };
}

export function invoice(o: {
  customerId: string;
  subscriptionId: string;
  billingReason: string;
  amountPaid: number;
  /** The subscription's metadata, snapshotted on the invoice (null: a subscription made elsewhere). */
  metadata: PurchaseMetadata | null;
  periodStart: number;
  periodEnd: number;
  id?: string;
}): Record<string, unknown> {
  const id = o.id ?? stripeId('in');
  const paidAt = nowSeconds();
  return {
    id,
    object: 'invoice',
    account_country: 'JP',
    amount_due: o.amountPaid,
    amount_paid: o.amountPaid,
    amount_remaining: 0,
    attempt_count: 1,
    attempted: true,
    billing_reason: o.billingReason,
    collection_method: 'charge_automatically',
    created: o.periodStart,
    currency: 'jpy',
    customer: o.customerId,
    lines: {
      object: 'list',
      data: [
        {
          id: stripeId('il'),
          object: 'line_item',
          amount: o.amountPaid,
          currency: 'jpy',
          description: '1 × プラン (at ¥' + o.amountPaid + ' / month)',
          invoice: id,
          metadata: o.metadata ? { ...o.metadata } : {},
          parent: {
            type: 'subscription_item_details',
            subscription_item_details: {
              invoice_item: null,
              proration: false,
              subscription: o.subscriptionId,
              subscription_item: stripeId('si'),
            },
          },
          period: { start: o.periodStart, end: o.periodEnd },
          pricing: {
            price_details: { price: stripeId('price'), product: stripeId('prod') },
            type: 'price_details',
            unit_amount_decimal: String(o.amountPaid),
          },
          quantity: 1,
        },
      ],
      has_more: false,
      total_count: 1,
      url: `/v1/invoices/${id}/lines`,
    },
    livemode: false,
    metadata: {},
    parent: {
      quote_details: null,
      subscription_details: {
        metadata: o.metadata ? { ...o.metadata } : null,
        subscription: o.subscriptionId,
      },
      type: 'subscription_details',
    },
    period_end: o.periodStart,
    period_start: o.periodStart,
    status: 'paid',
    status_transitions: { finalized_at: paidAt, paid_at: paidAt },
    total: o.amountPaid,
  };
}

export function subscription(o: {
  id: string;
  customerId: string;
  status: string;
  metadata: PurchaseMetadata | Record<string, never>;
  priceYen: number;
  periodStart: number;
  periodEnd: number;
  cancelAtPeriodEnd?: boolean;
  endedAt?: number | null;
}): Record<string, unknown> {
  return {
    id: o.id,
    object: 'subscription',
    billing_cycle_anchor: o.periodStart,
    cancel_at: o.cancelAtPeriodEnd ? o.periodEnd : null,
    cancel_at_period_end: o.cancelAtPeriodEnd ?? false,
    canceled_at: o.endedAt ?? null,
    collection_method: 'charge_automatically',
    created: o.periodStart,
    currency: 'jpy',
    customer: o.customerId,
    ended_at: o.endedAt ?? null,
    items: {
      object: 'list',
      data: [
        {
          id: stripeId('si'),
          object: 'subscription_item',
          created: o.periodStart,
          current_period_end: o.periodEnd,
          current_period_start: o.periodStart,
          metadata: {},
          price: {
            id: stripeId('price'),
            object: 'price',
            active: true,
            currency: 'jpy',
            product: stripeId('prod'),
            recurring: { interval: 'month', interval_count: 1, usage_type: 'licensed' },
            type: 'recurring',
            unit_amount: o.priceYen,
          },
          quantity: 1,
          subscription: o.id,
        },
      ],
      has_more: false,
      total_count: 1,
      url: `/v1/subscription_items?subscription=${o.id}`,
    },
    latest_invoice: stripeId('in'),
    livemode: false,
    metadata: { ...o.metadata },
    start_date: o.periodStart,
    status: o.status,
  };
}

export interface RefundSpec {
  id?: string;
  amount: number;
  created?: number;
  status?: string;
}

export function refundedCharge(o: {
  amount: number;
  refunds: RefundSpec[];
  metadata: Partial<PurchaseMetadata>;
  customerId?: string;
  id?: string;
  paymentIntentId?: string;
  /** false: the payload omits the refunds list (current API versions), so it is fetched. */
  listRefunds?: boolean;
}): Record<string, unknown> {
  const id = o.id ?? stripeId('ch');
  const refunds = o.refunds.map((r, i) => ({
    id: r.id ?? stripeId('re'),
    object: 'refund',
    amount: r.amount,
    charge: id,
    created: r.created ?? nowSeconds() - 100 + i,
    currency: 'jpy',
    metadata: {},
    payment_intent: o.paymentIntentId ?? null,
    reason: 'requested_by_customer',
    status: r.status ?? 'succeeded',
  }));
  const refunded = refunds.reduce((n, r) => n + (r.status === 'succeeded' ? r.amount : 0), 0);
  return {
    id,
    object: 'charge',
    amount: o.amount,
    amount_captured: o.amount,
    amount_refunded: refunded,
    captured: true,
    created: nowSeconds() - DAY,
    currency: 'jpy',
    customer: o.customerId ?? null,
    description: null,
    livemode: false,
    metadata: { ...o.metadata },
    paid: true,
    payment_intent: o.paymentIntentId ?? stripeId('pi'),
    refunded: refunded >= o.amount,
    status: 'succeeded',
    ...(o.listRefunds === false
      ? {}
      : {
          refunds: {
            object: 'list',
            data: refunds,
            has_more: false,
            total_count: refunds.length,
            url: `/v1/charges/${id}/refunds`,
          },
        }),
  };
}

const signer = new Stripe('sk_test_signing_only');

/** The raw body and its `Stripe-Signature` header, as Stripe would send them. */
export function signEvent(
  event: StripeEventJson,
  secret: string,
  opts: { timestamp?: number } = {},
): { payload: string; signature: string } {
  const payload = JSON.stringify(event, null, 2);
  const signature = signer.webhooks.generateTestHeaderString({
    payload,
    secret,
    ...(opts.timestamp !== undefined ? { timestamp: opts.timestamp } : {}),
  });
  return { payload, signature };
}

export async function postStripeWebhook(
  apiUrl: string,
  payload: string,
  signature: string | undefined,
): Promise<Response> {
  return fetch(`${apiUrl}/webhooks/stripe`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
      ...(signature !== undefined ? { 'stripe-signature': signature } : {}),
    },
    body: payload,
  });
}
