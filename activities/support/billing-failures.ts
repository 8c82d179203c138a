import { ApplicationFailure } from '@temporalio/activity';
import Stripe from 'stripe';
import type { Catalog } from '../../config/catalog';
import { BillingFailure } from '../../billing/failures';
import type { PaidAmount } from '../../billing/payments';
import { findProduct, type SubscriptionProduct } from '../../billing/products';
import type { GrantPointsInput, GrantPointsResult } from '../../ledger/types';
import type { Logger } from '../../lib/logger';
import type { Metrics } from '../../lib/metrics';
import {
  claimIdempotency,
  fingerprint,
  IdempotencyConflict,
  type IdempotencyKind,
} from '../../services/idempotency';
import type { Db } from '../../lib/db';
import { toFailure } from '../ledger';

/**
 * How the grant workflow's activities (activities/billing.ts) turn what the ledger, Stripe, the
 * catalog and the idempotency records say into Temporal failures: a decision is non-retryable
 * (a refused payment, an unknown product, a conflicting repeat, Stripe's 4xx), anything else is
 * retried by the workflow's policy.
 */
export interface BillingFailureDeps {
  catalog: Catalog;
  db: Db;
  stripe: Stripe;
  logger: Logger;
  ledger: { grantPoints(input: GrantPointsInput): Promise<GrantPointsResult> };
  metrics?: Pick<Metrics, 'paymentMismatches'>;
}

export function unknownProduct(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, BillingFailure.unknownProduct);
}

export function billingFailureAdapters(deps: BillingFailureDeps) {
  const { catalog, db, stripe, logger, ledger } = deps;

  /** Ledger BusinessErrors become typed ApplicationFailures (non-retryable unless SYSTEM_ERROR). */
  async function viaLedger<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      throw toFailure(err);
    }
  }

  /** A purchase's or an invoice's points, once per source (billing/grants.ts shapes them). */
  function grantPointsOf(
    userId: string,
    grant: { sourceRef: string; points: number; expiresAt: Date | null; reason: string },
  ) {
    const { sourceRef, points, expiresAt, reason } = grant;
    return viaLedger(() => ledger.grantPoints({ sourceRef, userId, points, expiresAt, reason }));
  }

  /** Stripe 4xx are decisions (retrying cannot help); network errors and 5xx are retried. */
  async function viaStripe<T>(what: string, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      if (err instanceof Stripe.errors.StripeInvalidRequestError)
        throw ApplicationFailure.nonRetryable(
          `Stripe refused ${what}: ${err.message}`,
          BillingFailure.stripeRejected,
        );
      throw err;
    }
  }

  function subscriptionProduct(
    productId: string | undefined,
    what: string,
  ): { productId: string; product: SubscriptionProduct } {
    const product = findProduct(catalog, productId);
    if (!productId || !product || product.kind !== 'subscription')
      throw unknownProduct(
        `${what}: product "${productId ?? '(none)'}" is not a subscription in the catalog ` +
          `(subscription metadata productId); fix the catalog or grant by hand with the admin API`,
      );
    return { productId, product };
  }

  /**
   * A payment that does not pay the catalog price grants nothing (billing/payments.ts): counted,
   * logged without personal data, and the workflow fails with the reason (not retried).
   */
  function refusePayment(
    kind: 'checkout' | 'invoice',
    what: string,
    productId: string,
    paid: PaidAmount,
    reason: string,
  ): never {
    deps.metrics?.paymentMismatches.inc({ kind });
    logger.warn(
      { what, productId, amount: paid.amount, currency: paid.currency, reason },
      'payment does not match the catalog price: nothing granted',
    );
    throw ApplicationFailure.nonRetryable(
      `${what}: ${reason}; nothing was granted (grant by hand with the admin API if this ` +
        `payment is genuine)`,
      BillingFailure.paymentMismatch,
    );
  }

  /**
   * What a checkout session took: from the event, or (a grant started before the event carried
   * it) from Stripe.
   */
  async function paidAtCheckout(input: {
    sessionId: string;
    amountTotal?: number;
    currency?: string;
  }): Promise<PaidAmount> {
    if (input.amountTotal !== undefined && input.currency !== undefined)
      return { amount: input.amountTotal, currency: input.currency };
    const session = await viaStripe('the checkout session look-up', () =>
      stripe.checkout.sessions.retrieve(input.sessionId),
    );
    return { amount: session.amount_total ?? undefined, currency: session.currency ?? undefined };
  }

  /**
   * The durable idempotency record of a grant or take-back (services/idempotency.ts): a repeat
   * goes on (the effect itself is idempotent by the same key), other parameters under the same
   * key fail for good.
   */
  async function claim(
    kind: IdempotencyKind,
    key: string,
    userId: string,
    params: Parameters<typeof fingerprint>[0],
  ): Promise<void> {
    try {
      await claimIdempotency(db, { key, kind, userId, fingerprint: fingerprint(params) });
    } catch (err) {
      if (err instanceof IdempotencyConflict)
        throw ApplicationFailure.nonRetryable(err.message, BillingFailure.idempotencyConflict);
      throw err;
    }
  }

  return {
    viaLedger,
    grantPointsOf,
    viaStripe,
    subscriptionProduct,
    refusePayment,
    paidAtCheckout,
    claim,
  };
}
