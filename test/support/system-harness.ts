import type { Client } from '@temporalio/client';
import type { AppConfig } from '../../config';
import { TaskQueues, type TaskQueueName } from '../../config/task-queues';
import { createLedger, type Ledger } from '../../ledger';
import type { Db } from '../../lib/db';
import { startStandIns } from '../../stand-ins';
import type { LinePlatformStandIn } from '../../stand-ins/line-platform';
import type { LlmProviderStandIn } from '../../stand-ins/llm-provider';
import { startTestApi, type TestApi } from './test-api';
import { startWorker, testConfig, uniquePrefix, type RunningWorker } from './workers';

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
  let api: TestApi | undefined;

  const stop = async () => {
    for (const w of workers.splice(0)) await w.stop();
    await api?.stop();
    await standIns.close();
  };

  try {
    const config = testConfig({
      TASK_QUEUE_PREFIX: uniquePrefix(label),
      LOCAL_STAND_INS: 'true',
      ...standIns.env,
      ...options.env,
    });
    api = await startTestApi(config);
    const { db, temporal } = api.deps;
    for (const queue of ALL_QUEUES) workers.push(await startWorker(config, queue));

    return {
      config,
      db,
      ledger: createLedger({ db, catalog: config.catalog, timeZone: config.env.TIME_ZONE }),
      temporal,
      line: standIns.line,
      llm: standIns.llm,
      apiUrl: api.url,
      workers,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
