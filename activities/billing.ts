import { ApplicationFailure, Context } from '@temporalio/activity';
import Stripe from 'stripe';
import type { AppConfig } from '../config';
import { checkoutSessionParams } from '../billing/checkout';
import type { OwnerHints, RefundLine } from '../billing/events';
import { BillingFailure } from '../billing/failures';
import { purchaseGrant, subscriptionPeriodGrant } from '../billing/grants';
import { decidePaidPeriod, decideSubscriptionChange, type PlanDecision } from '../billing/plans';
import { findProduct, refundableUnits, type SubscriptionProduct } from '../billing/products';
import { refundTakeBacks } from '../billing/refunds';
import {
  planEndedText,
  pointsPurchasedText,
  refundText,
  subscriptionPaidText,
  ticketsPurchasedText,
} from '../billing/texts';
import type { Clock } from '../domain/clock';
import { BusinessError } from '../domain/errors';
import type {
  AdjustPointsInput,
  AdjustPointsResult,
  GrantPointsInput,
  GrantPointsResult,
} from '../ledger/types';
import type { Db, Tx, User } from '../lib/db';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/metrics';
import type { CheckoutLinks } from './chat';
import { toFailure } from './ledger';

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
  metrics?: Pick<Metrics, 'grants'>;
}

export interface BillingUser {
  userId: string;
  lineUserId: string;
}

/** The result of an effect plus the LINE notice about it (empty = nothing to tell). */
export interface BillingOutcome {
  /** True when THIS call changed something; false for a repeat. */
  changed: boolean;
  notice: string[];
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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Marks a subscription whose end is final (processed_events is our dedupe table for Stripe). */
const subscriptionEndedMarker = (subscriptionId: string) => `subscription-ended:${subscriptionId}`;
/** Marks a refund whose tickets were revoked (tickets have no ledger to hold the key). */
const ticketRevocationMarker = (sourceRef: string) => `tickets-revoked:${sourceRef}`;

function currentWorkflowId(): string | null {
  try {
    return Context.current().info.workflowExecution?.workflowId ?? null;
  } catch {
    return null;
  }
}

function unknownProduct(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, BillingFailure.unknownProduct);
}

/**
 * The user's row lock (the ledger's per-user mutex, ledger/users.ts): ticket and plan changes
 * queue behind ledger transactions of the same user and behind each other.
 */
async function lockUser(tx: Tx, userId: string): Promise<User> {
  await tx.$queryRaw`SELECT id::text FROM users WHERE id = ${userId}::uuid FOR NO KEY UPDATE`;
  return tx.user.findUniqueOrThrow({ where: { id: userId } });
}

/** A Stripe customer is linked to one user at most (users.stripe_customer_id is unique). */
async function customerHeld(tx: Tx, customerId: string): Promise<boolean> {
  const holder = await tx.user.findUnique({
    where: { stripeCustomerId: customerId },
    select: { id: true },
  });
  return holder !== null;
}

async function hasMarker(tx: Tx, eventId: string): Promise<boolean> {
  const row = await tx.processedEvent.findUnique({
    where: { source_eventId: { source: 'stripe', eventId } },
    select: { id: true },
  });
  return row !== null;
}

async function addMarker(tx: Tx, eventId: string, eventType: string): Promise<void> {
  await tx.processedEvent.createMany({
    data: [{ source: 'stripe', eventId, eventType, workflowId: currentWorkflowId() }],
    skipDuplicates: true,
  });
}

export function createBillingActivities(deps: BillingDeps) {
  const { config, db, ledger, stripe, clock, logger } = deps;
  const { catalog } = config;
  const timeZone = config.env.TIME_ZONE;

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

  async function applyPlan(
    tx: Tx,
    user: User,
    decision: PlanDecision,
    customerId: string | undefined,
  ): Promise<boolean> {
    if (decision.action === 'keep') return false;
    if (decision.action === 'set') {
      const unchanged =
        user.planId === decision.planId &&
        user.planPeriodEnd?.getTime() === decision.periodEnd.getTime() &&
        user.stripeSubscriptionId === decision.subscriptionId;
      await tx.user.update({
        where: { id: user.id },
        data: {
          planId: decision.planId,
          planPeriodEnd: decision.periodEnd,
          stripeSubscriptionId: decision.subscriptionId,
          ...(customerId && !user.stripeCustomerId && !(await customerHeld(tx, customerId))
            ? { stripeCustomerId: customerId }
            : {}),
        },
      });
      return !unchanged;
    }
    if (decision.final)
      await addMarker(tx, subscriptionEndedMarker(decision.subscriptionId), 'subscription.ended');
    const changed = user.planId !== catalog.defaultPlan || user.stripeSubscriptionId !== null;
    await tx.user.update({
      where: { id: user.id },
      data: { planId: catalog.defaultPlan, planPeriodEnd: null, stripeSubscriptionId: null },
    });
    return changed;
  }

  /** What a refunded charge bought: our metadata on the charge, its PaymentIntent or its invoice. */
  async function productIdForCharge(
    paymentIntentId: string | undefined,
  ): Promise<string | undefined> {
    if (!paymentIntentId) return undefined;
    const intent = await viaStripe('the payment intent look-up', () =>
      stripe.paymentIntents.retrieve(paymentIntentId),
    );
    if (intent.metadata?.productId) return intent.metadata.productId;
    // A subscription payment: its invoice carries the subscription's metadata.
    const payments = await viaStripe('the invoice payment look-up', () =>
      stripe.invoicePayments.list({
        payment: { type: 'payment_intent', payment_intent: paymentIntentId },
        limit: 1,
      }),
    );
    const invoiceRef = payments.data[0]?.invoice;
    if (!invoiceRef) return undefined;
    const invoice =
      typeof invoiceRef === 'string'
        ? await viaStripe('the invoice look-up', () => stripe.invoices.retrieve(invoiceRef))
        : invoiceRef;
    if ('deleted' in invoice) return undefined;
    return invoice.parent?.subscription_details?.metadata?.productId ?? undefined;
  }

  async function refundsOf(chargeId: string): Promise<RefundLine[]> {
    const list = await viaStripe('the refund list', () =>
      stripe.refunds.list({ charge: chargeId, limit: 100 }).autoPagingToArray({ limit: 1000 }),
    );
    return list.map((r) => ({ id: r.id, amount: r.amount, created: r.created, status: r.status }));
  }

  return {
    /**
     * Finds the user an event is about: our user ID from the checkout metadata first, then the
     * linked Stripe customer or subscription. An event that only names a customer nobody is
     * linked to yet (a subscription made outside our checkout, or a link still in flight) is
     * retried with backoff: the workflow shows it as a retrying activity with this message.
     */
    async resolveBillingUser(owner: OwnerHints): Promise<BillingUser> {
      const select = { id: true, lineUserId: true } as const;
      const found =
        (owner.userId && UUID.test(owner.userId)
          ? await db.user.findUnique({ where: { id: owner.userId }, select })
          : null) ??
        (owner.customerId
          ? await db.user.findUnique({ where: { stripeCustomerId: owner.customerId }, select })
          : null) ??
        (owner.subscriptionId
          ? await db.user.findFirst({
              where: { stripeSubscriptionId: owner.subscriptionId },
              select,
            })
          : null) ??
        (owner.lineUserId
          ? await db.user.findUnique({ where: { lineUserId: owner.lineUserId }, select })
          : null);
      if (found) return { userId: found.id, lineUserId: found.lineUserId };
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
      const { customerId, subscriptionId } = input;
      // Already linked (the usual case for a returning customer): no lock, no write.
      const current = await db.user.findUnique({
        where: { id: input.userId },
        select: { stripeCustomerId: true, stripeSubscriptionId: true },
      });
      if (
        (!customerId || current?.stripeCustomerId === customerId) &&
        (!subscriptionId || current?.stripeSubscriptionId === subscriptionId)
      )
        return { linked: false };
      return db.$transaction(async (tx) => {
        const user = await lockUser(tx, input.userId);
        const data: { stripeCustomerId?: string; stripeSubscriptionId?: string } = {};
        if (customerId && user.stripeCustomerId !== customerId) {
          const holder = await tx.user.findUnique({
            where: { stripeCustomerId: customerId },
            select: { id: true },
          });
          if (user.stripeCustomerId || holder)
            logger.warn(
              { userId: user.id, customerId, current: user.stripeCustomerId, holder: holder?.id },
              'stripe customer not linked: the user or the customer is linked elsewhere',
            );
          else data.stripeCustomerId = customerId;
        }
        if (
          subscriptionId &&
          !user.stripeSubscriptionId &&
          !(await hasMarker(tx, subscriptionEndedMarker(subscriptionId)))
        )
          data.stripeSubscriptionId = subscriptionId;
        if (Object.keys(data).length === 0) return { linked: false };
        await tx.user.update({ where: { id: user.id }, data });
        return { linked: true };
      });
    },

    /** A one-time purchase (points or ticket pack), once per checkout session. */
    async grantPurchase(input: {
      userId: string;
      sessionId: string;
      productId?: string;
      /** Unix seconds: when the payment happened (the event's time). */
      paidAt: number;
    }): Promise<BillingOutcome> {
      const { productId } = input;
      const product = findProduct(catalog, productId);
      if (!productId || !product || product.kind === 'subscription')
        throw unknownProduct(
          `checkout session ${input.sessionId}: product "${productId ?? '(none)'}" is ` +
            `not a one-time product in the catalog; grant by hand with the admin API`,
        );
      const grant = purchaseGrant(
        productId,
        product,
        input.sessionId,
        new Date(input.paidAt * 1000),
      );

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
          notice: [
            pointsPurchasedText({
              productName: product.name,
              points: grant.points,
              expiresAt: grant.expiresAt,
              balance: result.balanceAfter,
              timeZone,
            }),
          ],
        };
      }

      // Tickets have no ledger: the rows themselves are the record, one source_ref per ticket,
      // and the missing ones are created under the user's lock, so a retry adds nothing.
      const created = await db.$transaction(async (tx) => {
        await lockUser(tx, input.userId);
        const existing = await tx.lineStampTicket.findMany({
          where: { userId: input.userId, sourceRef: { in: grant.sourceRefs } },
          select: { sourceRef: true },
        });
        const have = new Set(existing.map((t) => t.sourceRef));
        const missing = grant.sourceRefs.filter((ref) => !have.has(ref));
        if (missing.length > 0)
          await tx.lineStampTicket.createMany({
            data: missing.map((sourceRef) => ({ userId: input.userId, sourceRef })),
          });
        return missing.length;
      });
      if (created > 0) deps.metrics?.grants.inc({ kind: 'tickets' }, created);
      logger.info({ userId: input.userId, sessionId: input.sessionId, created }, 'tickets granted');
      return {
        changed: created > 0,
        tickets: grant.sourceRefs.length,
        noticeId: `checkout:${input.sessionId}`,
        notice: [
          ticketsPurchasedText({ productName: product.name, tickets: grant.sourceRefs.length }),
        ],
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
      paidAt: number;
      subscriptionId: string;
      customerId?: string;
      periodEnd?: number;
    }): Promise<BillingOutcome> {
      const { productId, product } = subscriptionProduct(
        input.productId,
        `invoice ${input.invoiceId}`,
      );
      const grant = subscriptionPeriodGrant(productId, product, {
        invoiceId: input.invoiceId,
        billingReason: input.billingReason,
        amountPaid: input.amountPaid,
        paidAt: new Date(input.paidAt * 1000),
      });
      let granted = false;
      if (grant.points > 0) {
        const result = await grantPointsOf(input.userId, grant);
        granted = result.granted;
        if (granted) deps.metrics?.grants.inc({ kind: 'subscription_points' });
      }

      const periodEnd = input.periodEnd ? new Date(input.periodEnd * 1000) : undefined;
      const { planChanged, decision } = await db.$transaction(async (tx) => {
        const user = await lockUser(tx, input.userId);
        const ended = await hasMarker(tx, subscriptionEndedMarker(input.subscriptionId));
        const decision = decidePaidPeriod(
          user,
          {
            subscriptionId: input.subscriptionId,
            planId: product.plan,
            periodEnd,
            ended,
          },
          clock.now(),
        );
        return { planChanged: await applyPlan(tx, user, decision, input.customerId), decision };
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
      return {
        changed: granted || planChanged,
        points: grant.points,
        planId: product.plan,
        noticeId: grant.sourceRef,
        detail: decision.action === 'keep' ? decision.reason : undefined,
        notice: [
          subscriptionPaidText({
            planName,
            renewal: grant.renewal,
            points: grant.points,
            periodEnd: decision.action === 'set' ? decision.periodEnd : null,
            timeZone,
          }),
        ],
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
      const { decision, changed } = await db.$transaction(async (tx) => {
        const user = await lockUser(tx, input.userId);
        const decision = decideSubscriptionChange(
          user,
          {
            subscriptionId: input.subscriptionId,
            status: input.status,
            deleted: input.deleted,
            planId,
            periodEnd: input.periodEnd ? new Date(input.periodEnd * 1000) : undefined,
            ended: await hasMarker(tx, subscriptionEndedMarker(input.subscriptionId)),
          },
          clock.now(),
        );
        return { decision, changed: await applyPlan(tx, user, decision, input.customerId) };
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
      const productId = input.productId ?? (await productIdForCharge(input.paymentIntentId));
      const product = findProduct(catalog, productId);
      if (!product)
        throw unknownProduct(
          `refund of charge ${input.chargeId}: cannot tell what it bought (no catalog productId ` +
            `on the charge, its payment intent or its invoice); take back by hand with the admin API`,
        );
      const refunds = input.refunds ?? (await refundsOf(input.chargeId));
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
        if (unit === 'points') {
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
        const revoked = await db.$transaction(async (tx) => {
          await lockUser(tx, input.userId);
          if (await hasMarker(tx, ticketRevocationMarker(t.sourceRef))) return null;
          const unused = await tx.lineStampTicket.findMany({
            where: { userId: input.userId, deletedAt: null, consumption: null },
            orderBy: { createdAt: 'desc' },
            take: t.units,
            select: { id: true },
          });
          await tx.lineStampTicket.updateMany({
            where: { id: { in: unused.map((u) => u.id) } },
            data: { deletedAt: clock.now() },
          });
          await addMarker(tx, ticketRevocationMarker(t.sourceRef), 'refund.tickets_revoked');
          return unused.length;
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

export type BillingActivities = ReturnType<typeof createBillingActivities>;

// ---------------------------------------------------------------------------------------------
// Checkout (API route and the chat's buy command)

export interface CheckoutDeps {
  config: AppConfig;
  db: Db;
  stripe: Stripe;
  logger: Logger;
}

export interface CheckoutSession {
  sessionId: string;
  url: string;
  productId: string;
  mode: 'payment' | 'subscription';
}

/** Where Stripe sends the browser after paying or giving up (api/routes/checkout.ts). */
export function checkoutReturnUrls(publicBaseUrl: string): {
  successUrl: string;
  cancelUrl: string;
} {
  const base = publicBaseUrl.replace(/\/+$/, '');
  return { successUrl: `${base}/checkout/complete`, cancelUrl: `${base}/checkout/cancelled` };
}

export function createCheckout({ config, db, stripe, logger }: CheckoutDeps) {
  /**
   * The user's Stripe customer, created once. The idempotency key makes concurrent first
   * purchases get the same customer from Stripe; the conditional update keeps the first link.
   */
  async function customerFor(user: User): Promise<string> {
    if (user.stripeCustomerId) return user.stripeCustomerId;
    const customer = await stripe.customers.create(
      { metadata: { userId: user.id, lineUserId: user.lineUserId } },
      { idempotencyKey: `customer-for-user-${user.id}` },
    );
    const linked = await db.user.updateMany({
      where: { id: user.id, stripeCustomerId: null },
      data: { stripeCustomerId: customer.id },
    });
    if (linked.count === 1) return customer.id;
    const again = await db.user.findUnique({ where: { id: user.id } });
    return again?.stripeCustomerId ?? customer.id;
  }

  async function createSession(userId: string, productId: string): Promise<CheckoutSession> {
    const product = findProduct(config.catalog, productId);
    if (!product)
      throw new BusinessError('INVALID_INPUT', `unknown product "${productId}"`, {
        field: 'productId',
      });
    const user = await db.user.findUnique({ where: { id: userId } });
    if (!user) throw new BusinessError('UNKNOWN_USER', `unknown user ${userId}`, { userId });
    const customerId = await customerFor(user);
    const session = await stripe.checkout.sessions.create(
      checkoutSessionParams({
        userId: user.id,
        lineUserId: user.lineUserId,
        productId,
        product,
        customerId,
        ...checkoutReturnUrls(config.env.PUBLIC_BASE_URL),
      }),
    );
    if (!session.url) throw new Error(`checkout session ${session.id} has no URL`);
    logger.info({ userId, productId, sessionId: session.id }, 'checkout session created');
    return {
      sessionId: session.id,
      url: session.url,
      productId,
      mode: product.kind === 'subscription' ? 'subscription' : 'payment',
    };
  }

  return { createSession, customerFor };
}

export type Checkout = ReturnType<typeof createCheckout>;

/** The chat's buy command and insufficient-points reply (activities/chat.ts CheckoutLinks). */
export function createCheckoutLinks(deps: CheckoutDeps): CheckoutLinks {
  const checkout = createCheckout(deps);
  return {
    async linkFor(userId, productId) {
      return (await checkout.createSession(userId, productId)).url;
    },
  };
}
