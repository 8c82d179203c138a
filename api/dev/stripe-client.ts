import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import { HttpError } from '../errors';

/**
 * The simulator acting as Stripe for a paid one-time checkout: a `checkout.session.completed`
 * shaped as Stripe sends it, signed with the webhook secret, posted to /webhooks/stripe.
 */

function stripeLikeId(prefix: string): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  return `${prefix}_${Array.from(randomBytes(24), (b) => alphabet[b % 62]).join('')}`;
}

export interface PaidCheckout {
  sessionId: string;
  priceYen: number;
  userId: string;
  stripeCustomerId: string | null;
  metadata: Record<string, string>;
}

export interface CompletedCheckout {
  /** Taken before posting, so the sent entry sorts before the bot's answers. */
  at: string;
  stripeEventId: string;
  status: number;
  /** The grant workflow the webhook started, when it says. */
  workflowId?: string;
}

export async function postCheckoutCompleted(
  stripe: Stripe,
  webhookSecret: string,
  baseUrl: string,
  checkout: PaidCheckout,
): Promise<CompletedCheckout> {
  const now = Math.floor(Date.now() / 1000);
  const eventId = stripeLikeId('evt');
  const event = {
    id: eventId,
    object: 'event',
    api_version: Stripe.API_VERSION,
    created: now,
    data: {
      object: {
        id: checkout.sessionId,
        object: 'checkout.session',
        amount_subtotal: checkout.priceYen,
        amount_total: checkout.priceYen,
        client_reference_id: checkout.userId,
        created: now - 5,
        currency: 'jpy',
        customer: checkout.stripeCustomerId,
        livemode: false,
        locale: 'ja',
        metadata: checkout.metadata,
        mode: 'payment',
        payment_intent: stripeLikeId('pi'),
        payment_method_types: ['card'],
        payment_status: 'paid',
        status: 'complete',
        subscription: null,
        ui_mode: 'hosted',
        url: null,
      },
    },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type: 'checkout.session.completed',
  };
  const payload = JSON.stringify(event, null, 2);
  const at = new Date().toISOString();
  const signature = stripe.webhooks.generateTestHeaderString({ payload, secret: webhookSecret });
  const webhookRes = await fetch(`${baseUrl}/webhooks/stripe`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
      'stripe-signature': signature,
    },
    body: payload,
  });
  const answer = (await webhookRes.json().catch(() => null)) as { workflowId?: string } | null;
  if (!webhookRes.ok)
    throw new HttpError(502, 'WEBHOOK_REFUSED', `/webhooks/stripe answered ${webhookRes.status}`, {
      webhook: answer,
    });
  return {
    at,
    stripeEventId: eventId,
    status: webhookRes.status,
    ...(answer?.workflowId ? { workflowId: answer.workflowId } : {}),
  };
}
