import type { S3Client } from '@aws-sdk/client-s3';
import type OpenAI from 'openai';
import type { AppConfig } from '../config';
import type { Clock } from '../domain/clock';
import { createLedger, type Ledger } from '../ledger';
import { createPrisma, type Db } from '../lib/db';
import { createLlmClients } from '../lib/llm';
import { createLogger, type Logger } from '../lib/logger';
import { createMetrics, type Metrics } from '../lib/metrics';
import { createS3 } from '../lib/s3';
import { createStripe, type Stripe } from '../lib/stripe';
import { createCheckoutLinks, type CheckoutLinks } from '../services/checkout';
import { createLineClients, type LineClients } from '../services/line-client';

/**
 * Long-lived clients shared by every activity of a worker process, each built once: a process
 * serving several task queues hands the same ledger, Stripe client and LINE clients to all.
 */
export interface WorkerDeps {
  config: AppConfig;
  db: Db;
  s3: S3Client;
  line: LineClients;
  llm: Record<string, OpenAI>;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** The points ledger (chat, billing, admin and retention activities). */
  ledger: Ledger;
  stripe: Stripe;
  /** Checkout links for the chat's buy command and the stamp offers. */
  checkout: CheckoutLinks;
}

export const systemClock: Clock = { now: () => new Date() };

export function createWorkerDeps(
  config: AppConfig,
  overrides: Partial<WorkerDeps> = {},
): WorkerDeps {
  const db = overrides.db ?? createPrisma(config.env.DATABASE_URL);
  const clock = overrides.clock ?? systemClock;
  const logger = overrides.logger ?? createLogger(config.env.LOG_LEVEL, 'worker');
  const stripe = overrides.stripe ?? createStripe(config.env);
  return {
    config,
    db,
    s3: overrides.s3 ?? createS3(config.env),
    line: overrides.line ?? createLineClients(config.env),
    llm: overrides.llm ?? createLlmClients(config),
    clock,
    logger,
    metrics: overrides.metrics ?? createMetrics(),
    ledger:
      overrides.ledger ??
      createLedger({ db, catalog: config.catalog, clock, timeZone: config.env.TIME_ZONE }),
    stripe,
    checkout: overrides.checkout ?? createCheckoutLinks({ config, db, stripe, logger }),
  };
}

export async function closeWorkerDeps(deps: WorkerDeps): Promise<void> {
  await deps.db.$disconnect();
  deps.s3.destroy();
}
