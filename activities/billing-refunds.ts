import { ApplicationFailure } from '@temporalio/activity';
import type { RefundLine } from '../billing/events';
import { BillingFailure } from '../billing/failures';
import { CATALOG_CURRENCY } from '../billing/payments';
import { findProduct, refundableUnits } from '../billing/products';
import { refundTakeBacks } from '../billing/refunds';
import { refundText } from '../billing/texts';
import { productIdForCharge, refundsOf, revokeRefundedTickets } from '../services/stripe-refunds';
import { recordStripePayments, refundRecords } from '../services/stripe-payments';
import { fingerprint, IdempotencyConflict, refundKey } from '../services/idempotency';
import type { BillingDeps, BillingOutcome } from './billing';
import { billingFailureAdapters, unknownProduct } from './support/billing-failures';
import { callingWorkflowId } from './support/context';

type Adapters = Pick<
  ReturnType<typeof billingFailureAdapters>,
  'viaLedger' | 'viaStripe' | 'claim'
>;

/**
 * The refund activity of the grant workflow (workflows/stripe-event.ts), part of
 * createBillingActivities (activities/billing.ts): what a refunded payment bought, taken back.
 */
export function createRefundTakeBack(deps: BillingDeps, adapters: Adapters) {
  const { config, db, ledger, stripe, clock, logger } = deps;
  const { catalog } = config;
  const { viaLedger, viaStripe, claim } = adapters;
  return {
    /**
     * charge.refunded: takes back what the refunded payment bought (billing/refunds.ts), once
     * per refund. The product comes from our metadata on the charge; failing that, from its
     * PaymentIntent or, for a subscription payment, its invoice.
     */
    async takeBackRefund(input: {
      userId: string;
      chargeId: string;
      paymentIntentId?: string;
      amount: number;
      refunds?: RefundLine[];
      productId?: string;
    }): Promise<BillingOutcome> {
      const productId =
        input.productId ?? (await productIdForCharge(stripe, viaStripe, input.paymentIntentId));
      const product = findProduct(catalog, productId);
      if (!product)
        throw unknownProduct(
          `refund of charge ${input.chargeId}: cannot tell what it bought (no catalog productId ` +
            `on the charge, its payment intent or its invoice); take back by hand with the admin API`,
        );
      const refunds = input.refunds ?? (await refundsOf(stripe, viaStripe, input.chargeId));
      await recordStripePayments(
        db,
        refundRecords({
          userId: input.userId,
          chargeId: input.chargeId,
          productId: productId ?? null,
          currency: CATALOG_CURRENCY,
          refunds,
          workflowId: callingWorkflowId(),
        }),
      );
      const { unit, units } = refundableUnits(product);
      const takeBacks = refundTakeBacks({
        chargeId: input.chargeId,
        chargeAmount: input.amount,
        units,
        refunds,
      }).filter((t) => t.units > 0);

      let points = 0;
      let tickets = 0;
      let changed = false;
      for (const t of takeBacks) {
        const params = { userId: input.userId, productId, unit, units: t.units };
        if (unit === 'points') {
          await claim('refund', refundKey(t.sourceRef), input.userId, params);
          const result = await viaLedger(() =>
            ledger.adjustPoints({
              sourceRef: t.sourceRef,
              userId: input.userId,
              delta: -t.units,
              reason: `refund:${productId}`,
            }),
          );
          points += t.units;
          changed ||= result.adjusted;
          continue;
        }
        // Tickets: revoke up to t.units unused ones, newest first; the marker makes it once.
        const revoked = await revokeRefundedTickets(db, {
          userId: input.userId,
          sourceRef: t.sourceRef,
          units: t.units,
          now: clock.now(),
          fingerprint: fingerprint(params),
        }).catch((err: unknown) => {
          if (err instanceof IdempotencyConflict)
            throw ApplicationFailure.nonRetryable(err.message, BillingFailure.idempotencyConflict);
          throw err;
        });
        if (revoked !== null) {
          tickets += revoked;
          changed = true;
        }
      }
      logger.info(
        { userId: input.userId, chargeId: input.chargeId, productId, points, tickets, changed },
        'refund taken back',
      );
      const last = takeBacks[takeBacks.length - 1];
      return {
        changed,
        points,
        tickets,
        noticeId: last?.sourceRef ?? `refund:${input.chargeId}`,
        notice: points > 0 || tickets > 0 ? [refundText({ points, tickets })] : [],
      };
    },
  };
}
