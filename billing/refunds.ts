import type { RefundLine } from './events';

/**
 * The refund rule. A refund takes back what the refunded payment bought, in proportion to the
 * money returned:
 *
 *   taken back so far = floor(units × refunded so far / charge amount)
 *
 * where `units` is what the payment granted (a points pack's points, a ticket pack's tickets,
 * a subscription's monthly points). Each refund of a charge takes the increment it adds, in
 * the order Stripe created the refunds, so partial refunds add up to exactly the full
 * take-back, and a full refund takes back everything. Rounding is down in the customer's
 * favour at each step.
 *
 * Points are taken back with a negative ledger adjustment even if they were spent (the
 * balance may go negative; the next grant offsets the debt, seed 003). Tickets that were
 * already used cannot be taken back: only unused ones are revoked.
 *
 * Idempotency: each refund is its own business object, key `refund:<charge>:<refund>`, so the
 * same refund reported twice (or by two charge.refunded events, each listing all refunds of
 * the charge) is taken back once. Failed or cancelled refunds return no money and take nothing.
 */

export const refundSourceRef = (chargeId: string, refundId: string) =>
  `refund:${chargeId}:${refundId}`;

/** Refund statuses that return (or are about to return) money. */
const EFFECTIVE = new Set(['succeeded', 'pending']);

export interface RefundTakeBack {
  refundId: string;
  sourceRef: string;
  /** Units this refund takes back (≥ 0). */
  units: number;
}

export function refundTakeBacks(input: {
  chargeId: string;
  chargeAmount: number;
  units: number;
  refunds: readonly RefundLine[];
}): RefundTakeBack[] {
  const { chargeAmount, units } = input;
  if (!(chargeAmount > 0) || !(units > 0)) return [];
  const ordered = input.refunds
    .filter((r) => r.status === null || EFFECTIVE.has(r.status))
    .slice()
    .sort((a, b) => a.created - b.created || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const takenAt = (refunded: number) =>
    Math.floor((units * Math.min(Math.max(refunded, 0), chargeAmount)) / chargeAmount);
  let refundedSoFar = 0;
  return ordered.map((r) => {
    const before = takenAt(refundedSoFar);
    refundedSoFar += r.amount;
    return {
      refundId: r.id,
      sourceRef: refundSourceRef(input.chargeId, r.id),
      units: takenAt(refundedSoFar) - before,
    };
  });
}
