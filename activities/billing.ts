import { ApplicationFailure } from '@temporalio/activity';
import Stripe from 'stripe';
import type { AppConfig } from '../config';
import type { OwnerHints } from '../billing/events';
import { BillingFailure } from '../billing/failures';
import {
  checkoutSourceRef,
  MONTHLY_POINTS_REASONS,
  purchaseGrant,
  subscriptionPeriodGrant,
} from '../billing/grants';
import { CATALOG_CURRENCY, paymentMismatch } from '../billing/payments';
import { findProduct } from '../billing/products';
import { planEndedText } from '../billing/texts';
import {
  planSwitchNotice,
  pointsPurchaseNotice,
  subscriptionPeriodNotice,
  ticketsPurchaseNotice,
} from '../billing/change-notices';
import type { messagingApi } from '@line/bot-sdk';
import { countUnusedTickets, grantTickets } from '../ledger/tickets';
import type { Clock } from '../domain/clock';
import type {
  AdjustPointsInput,
  AdjustPointsResult,
  GrantPointsInput,
  GrantPointsResult,
} from '../ledger/types';
import type { Db } from '../lib/db';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/metrics';
import {
  findBillingUser,
  linkStripeCustomer,
  planInForceFor,
  type BillingUser,
} from '../services/billing-customers';
import { applyPaidPeriod, applySubscriptionChange } from '../services/subscriptions';
import { recordStripePayments } from '../services/stripe-payments';
import { createRefundTakeBack } from './billing-refunds';
import { billingFailureAdapters, unknownProduct } from './support/billing-failures';
import { callingWorkflowId } from './support/context';
import { grantKey } from '../services/idempotency';

/**
 * The activities of the grant workflow (workflows/stripe-event.ts): thin adapters over the
 * billing rules (billing/) and the billing services (services/), which turn their outcomes into
 * Temporal failures (retryable or not) and the LINE notice about each effect.
 */

export type { BillingUser };

/** What billing needs from the points ledger (ledger/store.ts). */
export interface BillingLedger {
  grantPoints(input: GrantPointsInput): Promise<GrantPointsResult>;
  adjustPoints(input: AdjustPointsInput): Promise<AdjustPointsResult>;
}

export interface BillingDeps {
  config: AppConfig;
  db: Db;
  ledger: BillingLedger;
  stripe: Stripe;
  clock: Clock;
  logger: Logger;
  metrics?: Pick<Metrics, 'grants' | 'paymentMismatches'>;
}

/** The result of an effect plus the LINE notice about it (empty = nothing to tell). */
export interface BillingOutcome {
  /** True when THIS call changed something; false for a repeat. */
  changed: boolean;
  notice: string[];
  /**
   * The notice as LINE messages with buttons (the upgrade offers after a points purchase);
   * sent instead of `notice` by grant workflows from patch `billing-notice-messages` on.
   */
  messages?: messagingApi.Message[];
  /**
   * Business identity of the notice (the grant's key): LINE's push retry key derives from it, so
   * a notice about the same grant is delivered once even when two events report the payment.
   */
  noticeId: string;
  points?: number;
  tickets?: number;
  planId?: string;
  detail?: string;
}

export function createBillingActivities(deps: BillingDeps) {
  const { config, db, ledger, stripe, clock, logger } = deps;
  const { catalog } = config;
  const timeZone = config.env.TIME_ZONE;

  const {
    viaLedger,
    grantPointsOf,
    viaStripe,
    subscriptionProduct,
    refusePayment,
    paidAtCheckout,
    claim,
  } = billingFailureAdapters({ catalog, db, stripe, logger, ledger, metrics: deps.metrics });

  const planInForce = (userId: string) => planInForceFor(db, catalog, userId, clock.now());

  /** The plan services, naming the workflow that decides (end-of-subscription markers). */
  const subscriptions = () => ({ db, catalog, workflowId: callingWorkflowId() });

  return {
    ...createRefundTakeBack(deps, { viaLedger, viaStripe, claim }),

    /**
     * Finds the user an event is about: our user ID from the checkout metadata first, then the
     * linked Stripe customer or subscription. An event that only names a customer nobody is
     * linked to yet (a subscription made outside our checkout, or a link still in flight) is
     * retried with backoff: the workflow shows it as a retrying activity with this message.
     */
    async resolveBillingUser(owner: OwnerHints): Promise<BillingUser> {
      const found = await findBillingUser(db, owner);
      if (found) return found;
      if (owner.userId)
        throw ApplicationFailure.nonRetryable(
          `user ${owner.userId} named by the Stripe metadata does not exist ` +
            `(purged, or an event of another environment sharing the Stripe account)`,
          BillingFailure.unknownUser,
        );
      if (!owner.customerId && !owner.subscriptionId)
        throw ApplicationFailure.nonRetryable(
          'the event names no user, Stripe customer or subscription: nothing to grant to',
          BillingFailure.noOwner,
        );
      throw ApplicationFailure.retryable(
        `no user is linked to Stripe customer ${owner.customerId ?? '(none)'} ` +
          `(subscription ${owner.subscriptionId ?? '(none)'}) yet; waiting for ` +
          `checkout.session.completed to link it`,
        BillingFailure.userNotLinked,
      );
    },

    /**
     * Links the Stripe customer (and subscription) to the user, once: a customer already linked
     * to someone else is left alone and reported, never moved.
     */
    async linkStripeCustomer(input: {
      userId: string;
      customerId?: string;
      subscriptionId?: string;
    }): Promise<{ linked: boolean }> {
      return linkStripeCustomer({ db, logger }, input);
    },

    /** A one-time purchase (points or ticket pack), once per checkout session. */
    async grantPurchase(input: {
      userId: string;
      sessionId: string;
      productId?: string;
      /** Unix seconds: when the payment happened (the event's time). */
      paidAt: number;
      /** What was paid (`amount_total`, `currency`); looked up when absent. */
      amountTotal?: number;
      currency?: string;
    }): Promise<BillingOutcome> {
      const { productId } = input;
      const product = findProduct(catalog, productId);
      if (!productId || !product || product.kind === 'subscription')
        throw unknownProduct(
          `checkout session ${input.sessionId}: product "${productId ?? '(none)'}" is ` +
            `not a one-time product in the catalog; grant by hand with the admin API`,
        );
      const paid = await paidAtCheckout(input);
      const mismatch = paymentMismatch(productId, product, paid);
      if (mismatch)
        refusePayment('checkout', `checkout session ${input.sessionId}`, productId, paid, mismatch);
      const grant = purchaseGrant(
        productId,
        product,
        input.sessionId,
        new Date(input.paidAt * 1000),
      );
      await claim('grant', grantKey(checkoutSourceRef(input.sessionId)), input.userId, {
        userId: input.userId,
        productId,
        amount: paid.amount,
        currency: paid.currency,
      });
      // The money, for the operator console (once per session, like the grant).
      await recordStripePayments(db, [
        {
          sourceRef: checkoutSourceRef(input.sessionId),
          userId: input.userId,
          kind: 'checkout',
          productId,
          amount: paid.amount ?? product.priceYen,
          currency: paid.currency ?? CATALOG_CURRENCY,
          workflowId: callingWorkflowId(),
          occurredAt: new Date(input.paidAt * 1000),
        },
      ]);

      if (grant.kind === 'points') {
        const result = await grantPointsOf(input.userId, grant);
        if (result.granted) deps.metrics?.grants.inc({ kind: 'points' });
        logger.info(
          { userId: input.userId, sourceRef: grant.sourceRef, granted: result.granted },
          'purchase points granted',
        );
        return {
          changed: result.granted,
          points: grant.points,
          noticeId: grant.sourceRef,
          ...pointsPurchaseNotice(catalog, {
            productName: product.name,
            points: grant.points,
            expiresAt: grant.expiresAt,
            balance: result.balanceAfter,
            timeZone,
            plan: await planInForce(input.userId),
          }),
        };
      }

      // Tickets have no ledger: the rows themselves are the record, one source_ref per ticket,
      // and the missing ones are created under the user's lock, so a retry adds nothing.
      const created = await grantTickets(db, input.userId, grant.sourceRefs);
      if (created > 0) deps.metrics?.grants.inc({ kind: 'tickets' }, created);
      logger.info({ userId: input.userId, sessionId: input.sessionId, created }, 'tickets granted');
      return {
        changed: created > 0,
        tickets: grant.sourceRefs.length,
        noticeId: `checkout:${input.sessionId}`,
        ...ticketsPurchaseNotice({
          productName: product.name,
          tickets: grant.sourceRefs.length,
          totalTickets: await countUnusedTickets(db, input.userId),
        }),
      };
    },

    /**
     * A paid subscription invoice: the month's points (once per invoice) and the plan with its
     * paid period (guarded against late and repeated events, billing/plans.ts).
     */
    async grantSubscriptionPeriod(input: {
      userId: string;
      invoiceId: string;
      productId?: string;
      billingReason: string | null;
      amountPaid: number;
      /** Absent only for grants started before events carried it. */
      currency?: string;
      paidAt: number;
      subscriptionId: string;
      customerId?: string;
      periodEnd?: number;
    }): Promise<BillingOutcome> {
      const { productId, product } = subscriptionProduct(
        input.productId,
        `invoice ${input.invoiceId}`,
      );
      // An invoice that opens a paid month must pay the catalog price in yen (a 0-yen trial
      // opens the plan without points, as before); any invoice in another currency grants nothing.
      const paid = { amount: input.amountPaid, currency: input.currency };
      const opensPaidMonth =
        (MONTHLY_POINTS_REASONS as readonly (string | null)[]).includes(input.billingReason) &&
        input.amountPaid > 0;
      const mismatch =
        input.currency === undefined
          ? null
          : opensPaidMonth
            ? paymentMismatch(productId, product, paid)
            : paymentMismatch(productId, { priceYen: input.amountPaid }, paid);
      if (mismatch)
        refusePayment('invoice', `invoice ${input.invoiceId}`, productId, paid, mismatch);
      const grant = subscriptionPeriodGrant(productId, product, {
        invoiceId: input.invoiceId,
        billingReason: input.billingReason,
        amountPaid: input.amountPaid,
        paidAt: new Date(input.paidAt * 1000),
      });
      await claim('grant', grantKey(grant.sourceRef), input.userId, {
        userId: input.userId,
        productId,
        amount: input.amountPaid,
        billingReason: input.billingReason,
      });
      if (input.amountPaid > 0)
        await recordStripePayments(db, [
          {
            sourceRef: grant.sourceRef,
            userId: input.userId,
            kind: 'invoice',
            productId,
            amount: input.amountPaid,
            currency: input.currency ?? CATALOG_CURRENCY,
            workflowId: callingWorkflowId(),
            occurredAt: new Date(input.paidAt * 1000),
          },
        ]);
      let granted = false;
      let balance: number | undefined;
      if (grant.points > 0) {
        const result = await grantPointsOf(input.userId, grant);
        granted = result.granted;
        balance = result.balanceAfter;
        if (granted) deps.metrics?.grants.inc({ kind: 'subscription_points' });
      }

      const periodEnd = input.periodEnd ? new Date(input.periodEnd * 1000) : undefined;
      const { changed: planChanged, decision } = await applyPaidPeriod(subscriptions(), {
        userId: input.userId,
        subscriptionId: input.subscriptionId,
        planId: product.plan,
        periodEnd,
        customerId: input.customerId,
        now: clock.now(),
      });
      if (planChanged) deps.metrics?.grants.inc({ kind: 'plan' });
      logger.info(
        {
          userId: input.userId,
          invoiceId: input.invoiceId,
          billingReason: input.billingReason,
          granted,
          plan: decision.action === 'keep' ? `kept: ${decision.reason}` : product.plan,
        },
        'subscription period granted',
      );
      const planName = catalog.plans[product.plan]?.name ?? product.plan;
      const said = subscriptionPeriodNotice({
        planName,
        renewal: grant.renewal,
        points: grant.points,
        periodEnd: decision.action === 'set' ? decision.periodEnd : null,
        timeZone,
        plan: await planInForce(input.userId),
        balance,
      });
      return {
        changed: granted || planChanged,
        points: grant.points,
        planId: product.plan,
        noticeId: grant.sourceRef,
        detail: decision.action === 'keep' ? decision.reason : undefined,
        ...said,
      };
    },

    /** customer.subscription.updated / .deleted: plan changes and the way back to free. */
    async applySubscriptionChange(input: {
      userId: string;
      subscriptionId: string;
      status: string;
      deleted: boolean;
      productId?: string;
      periodEnd?: number;
      customerId?: string;
    }): Promise<BillingOutcome> {
      const product = findProduct(catalog, input.productId);
      const planId = product?.kind === 'subscription' ? product.plan : undefined;
      const { decision, changed, previousPlanId } = await applySubscriptionChange(subscriptions(), {
        userId: input.userId,
        subscriptionId: input.subscriptionId,
        status: input.status,
        deleted: input.deleted,
        planId,
        periodEnd: input.periodEnd ? new Date(input.periodEnd * 1000) : undefined,
        customerId: input.customerId,
        now: clock.now(),
      });
      logger.info(
        {
          userId: input.userId,
          subscriptionId: input.subscriptionId,
          status: input.status,
          action: decision.action,
          reason: decision.action === 'keep' ? decision.reason : undefined,
          changed,
        },
        'subscription change applied',
      );
      const ended = decision.action === 'end' && changed;
      const defaultName = catalog.plans[catalog.defaultPlan]?.name ?? catalog.defaultPlan;
      // A plan switched in the customer portal: said once per subscription, plan and period.
      const switched = planSwitchNotice(catalog, {
        subscriptionId: input.subscriptionId,
        previousPlanId,
        decision: changed ? decision : { action: 'keep', reason: 'unchanged' },
        timeZone,
      });
      if (switched) return { changed, planId: switched.planId, detail: 'set', ...switched.notice };
      return {
        changed,
        planId:
          decision.action === 'set'
            ? decision.planId
            : decision.action === 'end'
              ? catalog.defaultPlan
              : undefined,
        detail: decision.action === 'keep' ? decision.reason : decision.action,
        noticeId: `subscription-ended:${input.subscriptionId}`,
        notice: ended ? [planEndedText(defaultName)] : [],
      };
    },
  };
}

export type BillingActivities = ReturnType<typeof createBillingActivities>;
