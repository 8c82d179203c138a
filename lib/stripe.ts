import Stripe from 'stripe';
import type { Env } from '../config/env';

export type { Stripe };

/**
 * The Stripe client. STRIPE_API_BASE_URL points it at api.stripe.com in production and at
 * stripe-mock in tests and local runs; the SDK takes the endpoint as host/port/protocol, not a
 * URL, so the URL is split here.
 */
export function stripeEndpoint(baseUrl: string): {
  host: string;
  port: number;
  protocol: 'http' | 'https';
} {
  const url = new URL(baseUrl);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  const port = url.port ? Number(url.port) : protocol === 'http' ? 80 : 443;
  return { host: url.hostname, port, protocol };
}

export function createStripe(env: Pick<Env, 'STRIPE_SECRET_KEY' | 'STRIPE_API_BASE_URL'>): Stripe {
  return new Stripe(env.STRIPE_SECRET_KEY, {
    ...stripeEndpoint(env.STRIPE_API_BASE_URL),
    // The SDK retries idempotently (it sends an Idempotency-Key) on network errors and 5xx.
    maxNetworkRetries: 2,
    timeout: 20_000,
    appInfo: { name: 'line-ai-stamp' },
  });
}
