import type { S3Client } from '@aws-sdk/client-s3';
import type { AppConfig } from '../config';
import { createPrisma, type Db } from '../lib/db';
import { createLogger, type Logger } from '../lib/logger';
import { createMetrics, type Metrics } from '../lib/metrics';
import { createS3 } from '../lib/s3';

/** Long-lived clients shared by every activity of a worker process. */
export interface WorkerDeps {
  config: AppConfig;
  db: Db;
  s3: S3Client;
  logger: Logger;
  metrics: Metrics;
}

export function createWorkerDeps(config: AppConfig): WorkerDeps {
  return {
    config,
    db: createPrisma(config.env.DATABASE_URL),
    s3: createS3(config.env),
    logger: createLogger(config.env.LOG_LEVEL, 'worker'),
    metrics: createMetrics(),
  };
}

export async function closeWorkerDeps(deps: WorkerDeps): Promise<void> {
  await deps.db.$disconnect();
  deps.s3.destroy();
}
