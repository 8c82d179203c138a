import type Stripe from 'stripe';
import type { Db } from '../lib/db';
import type { Logger } from '../lib/logger';

/**
 * 「プラン管理」: a Stripe customer portal session, where a subscriber changes or cancels the
 * plan, updates the card and reads invoices. Stripe sends the resulting subscription events to
 * the webhook like any other, so the plan follows through the grant workflow
 * (workflows/stripe-event.ts); nothing changes here.
 */

/** LINE's own URL: on a phone it opens the app, which is where the user came from. */
export const DEFAULT_PORTAL_RETURN_URL = 'https://line.me/R/';

export type PlanPortalLink =
  | { kind: 'portal'; url: string }
  /** The user never reached Checkout: there is no Stripe customer whose plan could change. */
  | { kind: 'noCustomer' };

export interface PlanPortalDeps {
  db: Db;
  stripe: Stripe;
  logger: Logger;
  /** STRIPE_PORTAL_RETURN_URL; the default when unset. */
  returnUrl?: string;
}

export function createPlanPortal({ db, stripe, logger, returnUrl }: PlanPortalDeps) {
  return {
    /**
     * A portal session for the user's Stripe customer. `requestId` (the chat turn) is the
     * idempotency key, so a retried activity gets the same session instead of a second one.
     */
    async portalFor(userId: string, requestId: string): Promise<PlanPortalLink> {
      const user = await db.user.findUnique({
        where: { id: userId },
        select: { stripeCustomerId: true },
      });
      if (!user?.stripeCustomerId) return { kind: 'noCustomer' };
      const session = await stripe.billingPortal.sessions.create(
        { customer: user.stripeCustomerId, return_url: returnUrl ?? DEFAULT_PORTAL_RETURN_URL },
        { idempotencyKey: `portal-${requestId}` },
      );
      logger.info({ userId, portalSessionId: session.id }, 'customer portal session created');
      return { kind: 'portal', url: session.url };
    },
  };
}

export type PlanPortal = ReturnType<typeof createPlanPortal>;
