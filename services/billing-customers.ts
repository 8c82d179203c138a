import type { OwnerHints } from '../billing/events';
import { isUuid } from '../domain/uuid';
import type { Db, Tx, User } from '../lib/db';
import type { Logger } from '../lib/logger';
import { effectivePlan, lockUser } from '../ledger/users';
import type { Catalog, Plan } from '../config/catalog';
import { hasMarker, subscriptionEndedMarker } from './stripe-markers';

/** The user a Stripe event is about. */
export interface BillingUser {
  userId: string;
  lineUserId: string;
}

/**
 * The user's row under the ledger's one user lock (ledger/users.ts): ticket and plan changes
 * queue behind ledger transactions of the same user and behind each other. Billing needs the
 * whole row (Stripe links, plan), read after the lock.
 */
export async function lockBillingUser(tx: Tx, userId: string): Promise<User> {
  await lockUser(tx, userId);
  return tx.user.findUniqueOrThrow({ where: { id: userId } });
}

/** A Stripe customer is linked to one user at most (users.stripe_customer_id is unique). */
export async function customerHeld(tx: Tx, customerId: string): Promise<boolean> {
  const holder = await tx.user.findUnique({
    where: { stripeCustomerId: customerId },
    select: { id: true },
  });
  return holder !== null;
}

/**
 * Finds the user an event is about: our user ID from the checkout metadata first, then the
 * linked Stripe customer or subscription, then the LINE user ID; null when none matches.
 */
export async function findBillingUser(db: Db, owner: OwnerHints): Promise<BillingUser | null> {
  const select = { id: true, lineUserId: true } as const;
  const found =
    (isUuid(owner.userId)
      ? await db.user.findUnique({ where: { id: owner.userId }, select })
      : null) ??
    (owner.customerId
      ? await db.user.findUnique({ where: { stripeCustomerId: owner.customerId }, select })
      : null) ??
    (owner.subscriptionId
      ? await db.user.findFirst({ where: { stripeSubscriptionId: owner.subscriptionId }, select })
      : null) ??
    (owner.lineUserId
      ? await db.user.findUnique({ where: { lineUserId: owner.lineUserId }, select })
      : null);
  return found && { userId: found.id, lineUserId: found.lineUserId };
}

/**
 * Links the Stripe customer (and subscription) to the user, once: a customer already linked
 * to someone else is left alone and reported, never moved; an ended subscription is not linked.
 */
export async function linkStripeCustomer(
  deps: { db: Db; logger: Logger },
  input: { userId: string; customerId?: string; subscriptionId?: string },
): Promise<{ linked: boolean }> {
  const { db, logger } = deps;
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
    const user = await lockBillingUser(tx, input.userId);
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
}

/** The plan in force for the user now (a lapsed paid period, or a plan gone from the catalog, is the default plan). */
export async function planInForceFor(
  db: Db,
  catalog: Pick<Catalog, 'plans' | 'defaultPlan'>,
  userId: string,
  now: Date,
): Promise<Plan> {
  const user = await db.user.findUniqueOrThrow({
    where: { id: userId },
    select: { planId: true, planPeriodEnd: true },
  });
  const planId = catalog.plans[user.planId] ? user.planId : catalog.defaultPlan;
  return effectivePlan({ ...user, planId }, catalog, now).plan;
}
