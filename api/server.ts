import type { Server } from 'node:http';
import { ConfigError, loadConfig } from '../config';
import { createPrisma } from '../lib/db';
import { createLogger } from '../lib/logger';
import { createMetrics } from '../lib/metrics';
import { createS3 } from '../lib/s3';
import { connectTemporal } from '../lib/temporal';
import { listenHost, serveMetrics } from '../ops/metrics-server';
import { ensureSchedulesInBackground } from '../ops/schedules';
import { createApp } from './app';
import { startApiInboxRelay } from './inbox-relay';
import type { ApiClients } from './deps';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.env.LOG_LEVEL, 'api');
  const deps: ApiClients = {
    config,
    logger,
    db: createPrisma(config.env.DATABASE_URL),
    s3: createS3(config.env),
    temporal: await connectTemporal(config.env),
    metrics: createMetrics(),
  };
  // Temporal Schedules (retention purge), created or updated idempotently (ops/schedules.ts).
  await ensureSchedulesInBackground(deps.temporal, config.env, logger);
  // Hands the LINE events the webhook wrote to the inbox to the users' sessions.
  const relay = startApiInboxRelay(deps);
  const app = createApp(deps);
  const host = listenHost(config.env, config.env.API_HOST);
  const server: Server = app.listen(config.env.PORT, host, () => {
    logger.info({ host, port: config.env.PORT }, 'api listening');
  });
  // /metrics on its own port (never on PORT in production: api/routes/health.ts).
  const metricsServer = config.env.METRICS_PORT
    ? await serveMetrics(
        deps.metrics.registry,
        config.env.METRICS_PORT,
        listenHost(config.env, config.env.METRICS_HOST),
      )
    : undefined;

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'api stopping');
    // Stop accepting, let in-flight requests finish, then close clients.
    // The relay ends its pass (rows not yet relayed stay in the inbox for the next process).
    const relayStopped = relay.stop();
    metricsServer?.close();
    server.close(() => {
      void relayStopped
        .then(() => Promise.allSettled([deps.db.$disconnect(), deps.temporal.connection.close()]))
        .then(() => {
          deps.s3.destroy();
          logger.info('api stopped');
          process.exit(0);
        });
    });
    server.closeIdleConnections();
    setTimeout(() => {
      server.closeAllConnections();
    }, 10_000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : `api failed: ${(err as Error).message}`);
  process.exit(1);
});
