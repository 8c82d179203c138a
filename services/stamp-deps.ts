import type { S3Client } from '@aws-sdk/client-s3';
import type { messagingApi } from '@line/bot-sdk';
import type { AppConfig } from '../config';
import type { Clock } from '../domain/clock';
import type { Db } from '../lib/db';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/metrics';
import type { CheckoutLinks } from './checkout';
import { createPublicS3 } from '../lib/s3';
import { createStampObjects, type StampObjects } from './stamp-objects';

/** What the stamp services (intake, job, upload) are built from. */
export interface StampDeps {
  config: AppConfig;
  db: Db;
  s3: S3Client;
  bucket: string;
  /** LINE data API (message content). */
  blob: Pick<messagingApi.MessagingApiBlobClient, 'getMessageContent'>;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** Stripe Checkout links for the "no ticket" reply; without it the reply says how to buy. */
  checkout?: CheckoutLinks;
  /**
   * Test hook: a pause after each sticker, so a test can watch rendering progress and kill the
   * worker in the middle. Default: STAMP_RENDER_THROTTLE_MS when NODE_ENV=test, else 0.
   */
  renderThrottleMs?: number;
}

/** The job objects on the configured bucket, presigned with the public endpoint. */
export function stampObjectsOf(deps: Pick<StampDeps, 's3' | 'bucket' | 'config'>): StampObjects {
  return createStampObjects(deps.s3, deps.bucket, createPublicS3(deps.config.env));
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
