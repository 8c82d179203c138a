import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import { createApp } from '../../api/app';
import type { ApiDeps } from '../../api/deps';
import type { AppConfig } from '../../config';
import { TaskQueues, type TaskQueueName } from '../../config/task-queues';
import { createLedger, type Ledger } from '../../ledger';
import { createPrisma, type Db } from '../../lib/db';
import { createLogger } from '../../lib/logger';
import { createMetrics } from '../../lib/metrics';
import { createS3 } from '../../lib/s3';
import { startStandIns } from '../../stand-ins';
import type { LinePlatformStandIn } from '../../stand-ins/line-platform';
import type { LlmProviderStandIn } from '../../stand-ins/llm-provider';
import {
  startWorker,
  temporalClient,
  testConfig,
  uniquePrefix,
  type RunningWorker,
} from './workers';

export interface SystemHarness {
  config: AppConfig;
  db: Db;
  ledger: Ledger;
  temporal: Client;
  line: LinePlatformStandIn;
  llm: LlmProviderStandIn;
  /** The API (with the /dev simulator), on a free loopback port. */
  apiUrl: string;
  workers: RunningWorker[];
  stop(): Promise<void>;
}

const ALL_QUEUES: TaskQueueName[] = [TaskQueues.chat, TaskQueues.stamp, TaskQueues.billing];

/**
 * The whole system in the test process, as `npm run dev` runs it with stand-ins: the LINE and
 * LLM stand-ins (the only fakes; Stripe is stripe-mock from the global setup), the real API on a
 * free port with LOCAL_STAND_INS=true, and real workers on all three task queues (private
 * prefix) against the real Temporal server, PostgreSQL and MinIO of the jest global setup.
 */
export async function startSystemHarness(
  label: string,
  options: { env?: Record<string, string>; llmLatencyMs?: number } = {},
): Promise<SystemHarness> {
  const standIns = await startStandIns({
    line: { channelAccessToken: process.env.LINE_CHANNEL_ACCESS_TOKEN! },
    llm: { apiKey: process.env.OPENAI_API_KEY!, latencyMs: options.llmLatencyMs ?? 0 },
  });
  const workers: RunningWorker[] = [];
  let server: Server | undefined;
  let temporal: Client | undefined;
  let db: Db | undefined;
  let deps: ApiDeps | undefined;

  const stop = async () => {
    for (const w of workers.splice(0)) await w.stop();
    if (server) {
      const s = server;
      await new Promise((r) => s.close(r));
      s.closeAllConnections();
    }
    await db?.$disconnect();
    deps?.s3.destroy();
    await temporal?.connection.close();
    await standIns.close();
  };

  try {
    const config = testConfig({
      TASK_QUEUE_PREFIX: uniquePrefix(label),
      LOCAL_STAND_INS: 'true',
      ...standIns.env,
      ...options.env,
    });
    temporal = await temporalClient(config);
    db = createPrisma(config.env.DATABASE_URL);
    deps = {
      config,
      db,
      s3: createS3(config.env),
      temporal,
      logger: createLogger('silent'),
      metrics: createMetrics(),
    };
    const app = createApp(deps);
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    for (const queue of ALL_QUEUES) workers.push(await startWorker(config, queue));

    return {
      config,
      db,
      ledger: createLedger({ db, catalog: config.catalog, timeZone: config.env.TIME_ZONE }),
      temporal,
      line: standIns.line,
      llm: standIns.llm,
      apiUrl,
      workers,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
