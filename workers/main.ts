import type http from 'node:http';
import { Runtime } from '@temporalio/worker';
import { ConfigError, loadConfig } from '../config';
import { sdkLogLevel, temporalRuntimeLogger } from '../lib/logger';
import { listenHost, sdkTelemetry, serveMetrics } from '../ops/metrics-server';
import { closeWorkerDeps, createWorkerDeps } from './deps';
import { connectWorkerTemporal } from './connection';
import { createQueueWorker } from './create-worker';

/**
 * Worker process entry point. `WORKER_QUEUES` chooses the task queues this process serves
 * (all of them locally; one per service in production so each scales on its own).
 * SIGTERM/SIGINT make the SDK drain: no new tasks are polled, running activities finish.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const deps = createWorkerDeps(config);
  const { env } = config;
  // Workflow and activity logs (the finished-turn and sticker-job lines among them) go through
  // the Runtime's logger: routed to pino, they are JSON lines like the rest (lib/logger.ts).
  // WORKER_SDK_METRICS_PORT: the SDK core's Prometheus exporter (see ops/metrics-server.ts).
  Runtime.install({
    logger: temporalRuntimeLogger(deps.logger, sdkLogLevel(env.LOG_LEVEL)),
    ...sdkTelemetry(env.WORKER_SDK_METRICS_PORT, listenHost(env, env.METRICS_HOST)),
  });

  const connection = await connectWorkerTemporal(env);
  const workers = await Promise.all(
    env.WORKER_QUEUES.map((queue) => createQueueWorker(queue, connection, deps)),
  );

  // WORKER_METRICS_PORT: this process's registry (business counters; ops/business-metrics.ts).
  let metricsServer: http.Server | undefined;
  if (env.WORKER_METRICS_PORT) {
    metricsServer = await serveMetrics(
      deps.metrics.registry,
      env.WORKER_METRICS_PORT,
      listenHost(env, env.METRICS_HOST),
    );
  }

  deps.logger.info({ queues: env.WORKER_QUEUES }, 'workers started');
  try {
    await Promise.all(workers.map((w) => w.run()));
  } finally {
    metricsServer?.close();
    await connection.close();
    await closeWorkerDeps(deps);
    deps.logger.info('workers stopped');
  }
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    console.error(err.message);
  } else {
    console.error('worker failed:', err instanceof Error ? err.message : err);
  }
  process.exit(1);
});
