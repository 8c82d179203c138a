import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import { createApp } from '../../api/app';
import type { ApiDeps } from '../../api/deps';
import type { AppConfig } from '../../config';
import { TaskQueues } from '../../config/task-queues';
import type { Clock } from '../../domain/clock';
import { createPrisma, type Db } from '../../lib/db';
import { createLogger } from '../../lib/logger';
import { createMetrics } from '../../lib/metrics';
import { createS3 } from '../../lib/s3';
import { startStandIns } from '../../stand-ins';
import type { LinePlatformStandIn } from '../../stand-ins/line-platform';
import type { LlmProviderStandIn } from '../../stand-ins/llm-provider';
import { postLineWebhook } from './line-webhook';
import {
  startWorker,
  temporalClient,
  testConfig,
  uniquePrefix,
  type RunningWorker,
} from './workers';

export interface ChatHarness {
  config: AppConfig;
  db: Db;
  temporal: Client;
  line: LinePlatformStandIn;
  llm: LlmProviderStandIn;
  apiUrl: string;
  worker: RunningWorker;
  /** Env for a worker started as a child process against the same stand-ins. */
  childEnv: Record<string, string>;
  send(events: unknown[], signature?: string): Promise<Response>;
  restartWorker(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The whole chat path for a test file: LINE and LLM stand-ins (the only fakes), the real API on
 * a free port, and a real worker on a private task-queue prefix against the real Temporal server
 * and the test database.
 */
export async function startChatHarness(
  label: string,
  options: { llmLatencyMs?: number; env?: Record<string, string>; clock?: Clock } = {},
): Promise<ChatHarness> {
  const standIns = await startStandIns({
    line: { channelAccessToken: process.env.LINE_CHANNEL_ACCESS_TOKEN! },
    llm: { apiKey: process.env.OPENAI_API_KEY!, latencyMs: options.llmLatencyMs ?? 0 },
  });
  const overrides = {
    TASK_QUEUE_PREFIX: uniquePrefix(label),
    ...standIns.env,
    ...options.env,
  };
  const config = testConfig(overrides);
  const temporal = await temporalClient(config);
  const db = createPrisma(config.env.DATABASE_URL);
  const deps: ApiDeps = {
    config,
    db,
    s3: createS3(config.env),
    temporal,
    logger: createLogger('silent'),
    metrics: createMetrics(),
  };
  const server: Server = await new Promise((resolve) => {
    const s = createApp(deps).listen(0, '127.0.0.1', () => resolve(s));
  });
  const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const workerOptions = options.clock ? { clock: options.clock } : {};
  let worker = await startWorker(config, TaskQueues.chat, { depsOverrides: workerOptions });

  const harness: ChatHarness = {
    config,
    db,
    temporal,
    line: standIns.line,
    llm: standIns.llm,
    apiUrl,
    get worker() {
      return worker;
    },
    childEnv: { ...(process.env as Record<string, string>), ...overrides },
    send: (events, signature) =>
      postLineWebhook(apiUrl, config.env.LINE_CHANNEL_SECRET, events, signature),
    async restartWorker() {
      await worker.stop();
      worker = await startWorker(config, TaskQueues.chat, { depsOverrides: workerOptions });
    },
    async stop() {
      await worker.stop();
      await new Promise((r) => server.close(r));
      server.closeAllConnections();
      await db.$disconnect();
      deps.s3.destroy();
      await temporal.connection.close();
      await standIns.close();
    },
  };
  return harness;
}
