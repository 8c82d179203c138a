import type { RefundLine } from '../billing/events';
import { refundSourceRef } from '../billing/refunds';
import type { Db } from '../lib/db';

/**
 * The money side of billing, for the operator console (revenue against model cost, a user's
 * purchases): one stripe_payments row per payment the grant activities accepted and per refund
 * that returned money, keyed by the same business object as the grant (`checkout:<session>`,
 * `invoice:<invoice>`, `refund:<charge>:<refund>`), so a retried activity or a second event
 * about the same payment records it once.
 */

export type StripePaymentKind = 'checkout' | 'invoice' | 'refund';

export interface StripePaymentRecord {
  sourceRef: string;
  userId: string;
  kind: StripePaymentKind;
  productId: string | null;
  /** Smallest currency unit (yen); negative for money returned. */
  amount: number;
  currency: string;
  /** The grant workflow (`stripe-<event id>`); null outside a workflow (direct calls). */
  workflowId: string | null;
  occurredAt: Date;
}

/** Records payments (and refunds) once each; returns how many were new. */
export async function recordStripePayments(
  db: Pick<Db, 'stripePayment'>,
  records: readonly StripePaymentRecord[],
): Promise<number> {
  if (records.length === 0) return 0;
  const { count } = await db.stripePayment.createMany({
    data: records.map((r) => ({ ...r, currency: r.currency.toLowerCase() })),
    skipDuplicates: true,
  });
  return count;
}

/** Refunds that returned (or are returning) money, as negative payments. */
const RETURNS_MONEY = new Set(['succeeded', 'pending']);

export function refundRecords(input: {
  userId: string;
  chargeId: string;
  productId: string | null;
  currency: string;
  refunds: readonly RefundLine[];
  workflowId: string | null;
}): StripePaymentRecord[] {
  return input.refunds
    .filter((r) => r.amount > 0 && RETURNS_MONEY.has(r.status ?? 'succeeded'))
    .map((r) => ({
      sourceRef: refundSourceRef(input.chargeId, r.id),
      userId: input.userId,
      kind: 'refund',
      productId: input.productId,
      amount: -r.amount,
      currency: input.currency,
      workflowId: input.workflowId,
      occurredAt: new Date(r.created * 1000),
    }));
}
