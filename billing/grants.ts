import { addDays } from '../domain/clock';
import type { OneTimeProduct, SubscriptionProduct } from './products';

/**
 * What a payment grants, and under which idempotency key. Every key names the BUSINESS object
 * that was paid for (checkout session, invoice), never the event that told us, so a duplicate
 * event, a redelivery after Temporal's retention, or two event types reporting the same
 * payment (checkout.session.completed and .async_payment_succeeded) all land on the same key.
 */

export const checkoutSourceRef = (sessionId: string) => `checkout:${sessionId}`;
/** One key per ticket: line_stamp_tickets has one row per ticket. */
export const ticketSourceRef = (sessionId: string, n: number) => `checkout:${sessionId}:${n}`;
export const invoiceSourceRef = (invoiceId: string) => `invoice:${invoiceId}`;

export type PurchaseGrant =
  | { kind: 'points'; sourceRef: string; points: number; expiresAt: Date; reason: string }
  | { kind: 'tickets'; sourceRefs: string[]; reason: string };

/**
 * A one-time purchase. Points expire `expiresInDays` after the payment (the event's time, not
 * the time the grant happens to run), so a retried or delayed grant gives the same expiry.
 */
export function purchaseGrant(
  productId: string,
  product: OneTimeProduct,
  sessionId: string,
  paidAt: Date,
): PurchaseGrant {
  const reason = `purchase:${productId}`;
  if (product.kind === 'points') {
    return {
      kind: 'points',
      sourceRef: checkoutSourceRef(sessionId),
      points: product.points,
      expiresAt: addDays(paidAt, product.expiresInDays),
      reason,
    };
  }
  return {
    kind: 'tickets',
    sourceRefs: Array.from({ length: product.tickets }, (_, i) =>
      ticketSourceRef(sessionId, i + 1),
    ),
    reason,
  };
}

/** Billing reasons that open a paid month: the first period and each renewal. */
export const MONTHLY_POINTS_REASONS = ['subscription_create', 'subscription_cycle'] as const;

export interface SubscriptionPeriodGrant {
  sourceRef: string;
  /** 0 when this invoice opens no new month (see below). */
  points: number;
  expiresAt: Date;
  reason: string;
  /** A renewal (`subscription_cycle`) rather than the first period. */
  renewal: boolean;
}

/**
 * A paid subscription invoice. The monthly points come with the invoices that open a month:
 * `subscription_create` (first period) and `subscription_cycle` (renewal). Other subscription
 * invoices (`subscription_update` prorations, manual ones) and invoices paid with 0 yen (a
 * trial, a 100% coupon) change the plan but grant no points: points are bought, not given with
 * a plan change.
 */
export function subscriptionPeriodGrant(
  productId: string,
  product: SubscriptionProduct,
  invoice: { invoiceId: string; billingReason: string | null; amountPaid: number; paidAt: Date },
): SubscriptionPeriodGrant {
  const opensMonth = (MONTHLY_POINTS_REASONS as readonly (string | null)[]).includes(
    invoice.billingReason,
  );
  return {
    sourceRef: invoiceSourceRef(invoice.invoiceId),
    points: opensMonth && invoice.amountPaid > 0 ? product.monthlyPoints : 0,
    expiresAt: addDays(invoice.paidAt, product.pointsExpireInDays),
    reason: `subscription:${productId}:${invoice.billingReason ?? 'unknown'}`,
    renewal: invoice.billingReason === 'subscription_cycle',
  };
}
