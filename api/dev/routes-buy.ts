import express, { Router } from 'express';
import { LINE_LOGIN_ISSUER, signWebLoginIdToken } from '../auth';
import { HttpError } from '../errors';
import { bodyOf, lineUserIdOf, selfUrl } from './request';
import type { Simulator } from './simulator';
import { postCheckoutCompleted } from './stripe-client';

/**
 * Buying a points or ticket pack the way a user does: a checkout session through the user API
 * (with a LINE Login ID token minted here), then the payment as Stripe reports it. Only with a
 * Stripe test key, so that nothing real is ever charged or granted.
 */
export function buyRoutes(sim: Simulator): Router {
  const router = Router();
  const { deps, env, log } = sim;

  /** A LINE Login ID token for the user (what LIFF would send to the user API). */
  function idToken(lineUserId: string): string {
    const now = Math.floor(Date.now() / 1000);
    return signWebLoginIdToken(
      {
        iss: LINE_LOGIN_ISSUER,
        sub: lineUserId,
        aud: env.LINE_LOGIN_CHANNEL_ID,
        exp: now + 300,
        iat: now,
      },
      env.LINE_LOGIN_CHANNEL_SECRET,
    );
  }

  router.post(
    '/dev/api/users/:lineUserId/buy',
    express.json({ limit: '4kb' }),
    async (req, res) => {
      const lineUserId = lineUserIdOf(req);
      const productId = bodyOf(req).productId;
      const product = sim.products.find((p) => p.id === productId);
      if (!product)
        throw new HttpError(400, 'INVALID_INPUT', 'productId must be a points or ticket pack', {
          products: sim.products.map((p) => p.id),
        });
      if (!env.STRIPE_SECRET_KEY.startsWith('sk_test_'))
        throw new HttpError(
          403,
          'NOT_TEST_MODE',
          'the simulator completes checkouts only with a Stripe test key (sk_test_...)',
        );
      const base = selfUrl(req);

      // 1. The checkout session, the normal way: the user API with a LINE Login ID token.
      const checkoutRes = await fetch(`${base}/api/checkout`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${idToken(lineUserId)}`,
        },
        body: JSON.stringify({ productId: product.id }),
      });
      const session = (await checkoutRes.json().catch(() => null)) as {
        sessionId?: string;
        url?: string;
      } | null;
      if (checkoutRes.status !== 201 || !session?.sessionId)
        throw new HttpError(
          502,
          'CHECKOUT_FAILED',
          `/api/checkout answered ${checkoutRes.status}`,
          {
            checkout: session,
          },
        );
      const user = await deps.db.user.findUniqueOrThrow({ where: { lineUserId } });

      // 2. The payment, as Stripe reports it: a signed checkout.session.completed.
      const paid = await postCheckoutCompleted(sim.stripe, env.STRIPE_WEBHOOK_SECRET, base, {
        sessionId: session.sessionId,
        priceYen: product.priceYen,
        userId: user.id,
        stripeCustomerId: user.stripeCustomerId,
        metadata: { userId: user.id, productId: product.id, lineUserId },
      });
      const entry = log.remember(lineUserId, paid.at, {
        kind: 'buy',
        productId: product.id,
        productName: product.name,
        sessionId: session.sessionId,
        stripeEventId: paid.stripeEventId,
        workflowIds: paid.workflowId ? [paid.workflowId] : [],
        status: paid.status,
      });
      res.status(202).json({ ...entry, checkoutUrl: session.url });
    },
  );

  return router;
}
