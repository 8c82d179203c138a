import type { S3Client } from '@aws-sdk/client-s3';
import type { messagingApi } from '@line/bot-sdk';
import type OpenAI from 'openai';
import type { AppConfig } from '../config';
import type { Clock } from '../domain/clock';
import { createLineClients } from '../activities/line-messaging';
import { createPrisma, type Db } from '../lib/db';
import { createLlmClients } from '../lib/llm';
import { createLogger, type Logger } from '../lib/logger';
import { createMetrics, type Metrics } from '../lib/metrics';
import { createS3 } from '../lib/s3';

/** Long-lived clients shared by every activity of a worker process. */
export interface WorkerDeps {
  config: AppConfig;
  db: Db;
  s3: S3Client;
  line: {
    client: messagingApi.MessagingApiClient;
    blob: messagingApi.MessagingApiBlobClient;
  };
  llm: Record<string, OpenAI>;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
}

export const systemClock: Clock = { now: () => new Date() };

export function createWorkerDeps(
  config: AppConfig,
  overrides: Partial<WorkerDeps> = {},
): WorkerDeps {
  return {
    config,
    db: overrides.db ?? createPrisma(config.env.DATABASE_URL),
    s3: overrides.s3 ?? createS3(config.env),
    line: overrides.line ?? createLineClients(config.env),
    llm: overrides.llm ?? createLlmClients(config),
    clock: overrides.clock ?? systemClock,
    logger: overrides.logger ?? createLogger(config.env.LOG_LEVEL, 'worker'),
    metrics: overrides.metrics ?? createMetrics(),
  };
}

export async function closeWorkerDeps(deps: WorkerDeps): Promise<void> {
  await deps.db.$disconnect();
  deps.s3.destroy();
}
