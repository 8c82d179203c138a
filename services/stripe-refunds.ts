import type Stripe from 'stripe';
import type { RefundLine } from '../billing/events';
import { revokeUnusedTickets, withUserLock } from '../ledger/tickets';
import type { Db } from '../lib/db';
import { claimIdempotency, refundKey } from './idempotency';
import { hasMarker, ticketRevocationMarker } from './stripe-markers';

/**
 * What a refund takes back needs Stripe look-ups (what the charge bought, its refunds) and, for
 * ticket packs, a revocation recorded once. The caller classifies Stripe's errors (`call`: each
 * request with a label naming it).
 */
export type StripeCall = <T>(what: string, op: () => Promise<T>) => Promise<T>;

/** What a refunded charge bought: our metadata on its PaymentIntent or its invoice. */
export async function productIdForCharge(
  stripe: Stripe,
  call: StripeCall,
  paymentIntentId: string | undefined,
): Promise<string | undefined> {
  if (!paymentIntentId) return undefined;
  const intent = await call('the payment intent look-up', () =>
    stripe.paymentIntents.retrieve(paymentIntentId),
  );
  if (intent.metadata?.productId) return intent.metadata.productId;
  // A subscription payment: its invoice carries the subscription's metadata.
  const payments = await call('the invoice payment look-up', () =>
    stripe.invoicePayments.list({
      payment: { type: 'payment_intent', payment_intent: paymentIntentId },
      limit: 1,
    }),
  );
  const invoiceRef = payments.data[0]?.invoice;
  if (!invoiceRef) return undefined;
  const invoice =
    typeof invoiceRef === 'string'
      ? await call('the invoice look-up', () => stripe.invoices.retrieve(invoiceRef))
      : invoiceRef;
  if ('deleted' in invoice) return undefined;
  return invoice.parent?.subscription_details?.metadata?.productId ?? undefined;
}

/** All refunds of a charge (the event carries only the first page). */
export async function refundsOf(
  stripe: Stripe,
  call: StripeCall,
  chargeId: string,
): Promise<RefundLine[]> {
  const list = await call('the refund list', () =>
    stripe.refunds.list({ charge: chargeId, limit: 100 }).autoPagingToArray({ limit: 1000 }),
  );
  return list.map((r) => ({ id: r.id, amount: r.amount, created: r.created, status: r.status }));
}

/**
 * Revokes up to `units` unused tickets (newest first) for one refund, once: its durable
 * idempotency record (services/idempotency.ts), claimed in the same transaction, makes a repeat
 * a no-op (null) however long after, and the same refund with other parameters an
 * IdempotencyConflict. A marker in processed_events (written before the records existed, and
 * purged after retention.processedEventDays) still counts while it is there. Returns how many
 * were revoked.
 */
export async function revokeRefundedTickets(
  db: Db,
  input: {
    userId: string;
    sourceRef: string;
    units: number;
    now: Date;
    fingerprint: string;
  },
): Promise<number | null> {
  return withUserLock(db, input.userId, async (tx) => {
    if (await hasMarker(tx, ticketRevocationMarker(input.sourceRef))) return null;
    const claimed = await claimIdempotency(tx, {
      key: refundKey(input.sourceRef),
      kind: 'refund',
      fingerprint: input.fingerprint,
      userId: input.userId,
    });
    if (claimed === 'repeat') return null;
    return revokeUnusedTickets(tx, {
      userId: input.userId,
      count: input.units,
      now: input.now,
    });
  });
}
