import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DefaultLogger, Runtime, type WorkerOptions } from '@temporalio/worker';
import { createLineClients } from '../../services/line-client';
import { createApp } from '../../api/app';
import type { ApiClients } from '../../api/deps';
import { startApiInboxRelay } from '../../api/inbox-relay';
import { loadConfig } from '../../config';
import { TaskQueues } from '../../config/task-queues';
import { createLedger } from '../../ledger';
import { createPrisma } from '../../lib/db';
import { createLlmClients } from '../../lib/llm';
import { createLogger } from '../../lib/logger';
import { createMetrics } from '../../lib/metrics';
import { createS3 } from '../../lib/s3';
import { connectTemporal } from '../../lib/temporal';
import { connectWorkerTemporal } from '../../workers/connection';
import { createQueueWorker } from '../../workers/create-worker';
import { closeWorkerDeps, createWorkerDeps } from '../../workers/deps';
import { createPlainChatApp } from './plain-chat-handler';
import { recordSteps } from './step-log';

/**
 * A system under test for bench/chat.ts, as its own OS process (forked with an IPC channel):
 *
 *   api     the product's API (api/app.ts), as api/server.ts runs it, on a free port
 *   worker  a chat-queue worker (workers/create-worker.ts), as workers/main.ts runs it
 *   plain   the baseline: bench/lib/plain-chat-handler.ts on a free port
 *
 * Configuration comes from the environment (the bench passes the stack's and the stand-ins'),
 * plus BENCH_DB_POOL (connections per process, default pg's 10), BENCH_WORKER_OPTIONS
 * (JSON, extra Temporal WorkerOptions for the worker) and BENCH_STEP_LOG (a file the worker
 * appends its activity timings to). Reports `{ ready, port?, pid }` over
 * IPC; exits when told to stop, on SIGTERM, or when the parent goes away.
 */

type Role = 'api' | 'worker' | 'plain';

function send(message: Record<string, unknown>): void {
  process.send?.(message);
}

async function listen(app: { listen: (...args: never[]) => Server }): Promise<Server> {
  return new Promise((resolve) => {
    const server = (app.listen as (p: number, h: string, cb: () => void) => Server)(
      0,
      '127.0.0.1',
      () => resolve(server),
    );
  });
}

async function main(): Promise<void> {
  const role = process.argv[2] as Role;
  const config = loadConfig();
  const pool = process.env.BENCH_DB_POOL ? { max: Number(process.env.BENCH_DB_POOL) } : {};
  const db = createPrisma(config.env.DATABASE_URL, pool);
  let stop: () => Promise<void>;

  if (role === 'api') {
    const deps: ApiClients = {
      config,
      db,
      s3: createS3(config.env),
      temporal: await connectTemporal(config.env),
      logger: createLogger(config.env.LOG_LEVEL, 'api'),
      metrics: createMetrics(),
    };
    // As api/server.ts: the webhook writes the inbox, the relay hands events to the sessions.
    const relay = startApiInboxRelay(deps);
    const server = await listen(createApp(deps));
    stop = async () => {
      await new Promise((r) => server.close(r));
      server.closeAllConnections();
      await relay.stop();
      await Promise.allSettled([db.$disconnect(), deps.temporal.connection.close()]);
      deps.s3.destroy();
    };
    send({ ready: true, port: (server.address() as AddressInfo).port, pid: process.pid });
  } else if (role === 'plain') {
    const ledger = createLedger({
      db,
      catalog: config.catalog,
      timeZone: config.env.TIME_ZONE,
    });
    const app = createPlainChatApp({
      config,
      db,
      ledger,
      llm: createLlmClients(config),
      line: createLineClients(config.env).client,
    });
    const server = await listen(app);
    stop = async () => {
      await new Promise((r) => server.close(r));
      server.closeAllConnections();
      await db.$disconnect();
    };
    send({ ready: true, port: (server.address() as AddressInfo).port, pid: process.pid });
  } else if (role === 'worker') {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    const deps = createWorkerDeps(config, {
      db,
      logger: createLogger(config.env.LOG_LEVEL, 'worker'),
    });
    const overrides = JSON.parse(
      process.env.BENCH_WORKER_OPTIONS || '{}',
    ) as Partial<WorkerOptions>;
    // Step timings for the bench's "where the time goes" (bench/lib/step-log.ts).
    const steps = process.env.BENCH_STEP_LOG ? recordSteps(process.env.BENCH_STEP_LOG) : null;
    if (steps) overrides.interceptors = { activity: [steps.interceptor] };
    const connection = await connectWorkerTemporal(config.env);
    const worker = await createQueueWorker(TaskQueues.chat, connection, deps, overrides);
    const running = worker.run();
    stop = async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => {});
      await connection.close();
      await closeWorkerDeps(deps);
      steps?.flush();
    };
    send({ ready: true, pid: process.pid });
  } else {
    throw new Error(`unknown role ${String(role)}`);
  }

  let stopping: Promise<void> | undefined;
  const shutdown = () => {
    stopping ??= stop()
      .catch((err: unknown) => {
        process.stderr.write(`${role}: stop failed: ${String(err)}\n`);
      })
      .finally(() => process.exit(0));
    // Never outlive the benchmark by much.
    setTimeout(() => process.exit(0), 15_000).unref();
  };
  process.on('message', (m) => {
    if ((m as { stop?: boolean }).stop) shutdown();
  });
  process.on('disconnect', shutdown);
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', () => {
    // The bench (the process group's leader) cleans up; it sends stop or SIGTERM.
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`chat-sut ${process.argv[2]}: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
