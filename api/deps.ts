import type { S3Client } from '@aws-sdk/client-s3';
import type { Client } from '@temporalio/client';
import type { AppConfig } from '../config';
import { createLedger, type Ledger } from '../ledger';
import type { Db } from '../lib/db';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/metrics';
import { createStripe, type Stripe } from '../lib/stripe';
import { createCheckout, type Checkout } from '../services/checkout';

/** The long-lived clients an API process opens (and closes): api/server.ts, tests, benches. */
export interface ApiClients {
  config: AppConfig;
  db: Db;
  s3: S3Client;
  temporal: Client;
  logger: Logger;
  metrics: Metrics;
}

/**
 * What the routes take: the clients, plus what is built from them once per app (routes never
 * make their own ledger or Stripe client).
 */
export interface ApiDeps extends ApiClients {
  /** Read-only here (balance, usage): every change to points happens in an activity. */
  ledger: Ledger;
  stripe: Stripe;
  checkout: Checkout;
}

export type ApiServices = Omit<ApiDeps, keyof ApiClients>;

/** Builds the shared services from the clients; `given` replaces any of them (tests). */
export function createApiDeps(clients: ApiClients, given: Partial<ApiServices> = {}): ApiDeps {
  const { config, db, logger } = clients;
  const ledger =
    given.ledger ?? createLedger({ db, catalog: config.catalog, timeZone: config.env.TIME_ZONE });
  const stripe = given.stripe ?? createStripe(config.env);
  const checkout = given.checkout ?? createCheckout({ config, db, stripe, logger });
  return { ...clients, ledger, stripe, checkout };
}
