import type { Client } from '@temporalio/client';
import type { AppConfig } from '../../config';
import { TaskQueues } from '../../config/task-queues';
import type { Clock } from '../../domain/clock';
import type { Db } from '../../lib/db';
import { startStandIns } from '../../stand-ins';
import type { LinePlatformStandIn } from '../../stand-ins/line-platform';
import type { LlmProviderStandIn } from '../../stand-ins/llm-provider';
import { postLineWebhook } from './line-webhook';
import { startTestApi } from './test-api';
import { startWorker, testConfig, uniquePrefix, type RunningWorker } from './workers';

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
  const api = await startTestApi(config);
  const { db, temporal } = api.deps;
  const apiUrl = api.url;
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
      await api.stop();
      await standIns.close();
    },
  };
  return harness;
}
