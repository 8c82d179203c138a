import type Stripe from 'stripe';
import type { AppConfig } from '../config';
import { checkoutSessionParams } from '../billing/checkout';
import { findProduct } from '../billing/products';
import { BusinessError } from '../domain/errors';
import type { Db, User } from '../lib/db';
import type { Logger } from '../lib/logger';
import { createPlanPortal, type PlanPortalLink } from './plan-portal';

/**
 * Stripe Checkout for a user: the API's `POST /api/checkout` and the chat's buy command and
 * insufficient-points reply. The purchase is granted later, from the webhook (workflows/stripe-event.ts).
 */

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

/** A pick's Checkout session is reused for the rest of this window. */
const SESSION_WINDOW_MS = 60 * 60 * 1000;

/** Stripe's idempotency key of a user's session for a product in one window. */
export const checkoutSessionKey = (userId: string, productId: string, window: number) =>
  `checkout-${userId}-${productId}-${window}`;

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
    // One session per user, product and hour: picking the same product again within the hour
    // gets the same session back from Stripe (same idempotency key, same parameters), open
    // until the end of the next hour, instead of a new one per tap.
    const window = Math.floor(Date.now() / SESSION_WINDOW_MS);
    const session = await stripe.checkout.sessions.create(
      {
        ...checkoutSessionParams({
          userId: user.id,
          lineUserId: user.lineUserId,
          productId,
          product,
          customerId,
          ...checkoutReturnUrls(config.env.PUBLIC_BASE_URL),
        }),
        // Between 1 and 2 hours from now (Stripe allows 30 minutes to 24 hours).
        expires_at: ((window + 2) * SESSION_WINDOW_MS) / 1000,
      },
      { idempotencyKey: checkoutSessionKey(user.id, productId, window) },
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

/** Checkout links for the chat's buy command, and the plan-management (portal) link. */
export interface CheckoutLinks {
  linkFor(userId: string, productId: string): Promise<string>;
  /** 「プラン管理」: Stripe's customer portal; absent where no portal is configured. */
  portalFor?(userId: string, requestId: string): Promise<PlanPortalLink>;
}

/** The links the chat and stamp activities hand out (one checkout session each). */
export function createCheckoutLinks(deps: CheckoutDeps): CheckoutLinks {
  const checkout = createCheckout(deps);
  const portal = createPlanPortal({
    ...deps,
    returnUrl: deps.config.env.STRIPE_PORTAL_RETURN_URL,
  });
  return {
    async linkFor(userId, productId) {
      return (await checkout.createSession(userId, productId)).url;
    },
    portalFor: portal.portalFor,
  };
}
