import type { S3Client } from '@aws-sdk/client-s3';
import type { Client } from '@temporalio/client';
import type { AppConfig } from '../config';
import type { Db } from '../lib/db';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/metrics';

export interface ApiDeps {
  config: AppConfig;
  db: Db;
  s3: S3Client;
  temporal: Client;
  logger: Logger;
  metrics: Metrics;
}
