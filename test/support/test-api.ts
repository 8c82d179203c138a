import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { createApp } from '../../api/app';
import type { ApiClients } from '../../api/deps';
import { startApiInboxRelay, type InboxRelay } from '../../api/inbox-relay';
import type { AppConfig } from '../../config';
import { createPrisma } from '../../lib/db';
import { createLogger } from '../../lib/logger';
import { createMetrics } from '../../lib/metrics';
import { createS3 } from '../../lib/s3';
import { temporalClient } from './workers';

export interface TestApi {
  /** `http://127.0.0.1:<port>` */
  url: string;
  deps: ApiClients;
  /** Closes the server, then the clients it created itself (not those passed in). */
  stop(): Promise<void>;
}

export type TestApiOptions = Partial<Omit<ApiClients, 'config'>> & {
  /** Builds the Express app from the deps; the real `createApp` unless told otherwise. */
  app?: (deps: ApiClients) => Express;
};

/**
 * The real API on a free loopback port. Deps not passed in are made as production makes them
 * (database, S3, Temporal client), with a silent logger and a fresh metrics registry.
 */
export async function startTestApi(
  config: AppConfig,
  options: TestApiOptions = {},
): Promise<TestApi> {
  const { app: buildApp = createApp, ...given } = options;
  const deps: ApiClients = {
    config,
    temporal: given.temporal ?? (await temporalClient(config)),
    db: given.db ?? createPrisma(config.env.DATABASE_URL),
    s3: given.s3 ?? createS3(config.env),
    logger: given.logger ?? createLogger('silent'),
    metrics: given.metrics ?? createMetrics(),
  };
  const closeOwnClients = async () => {
    if (!given.db) await deps.db.$disconnect();
    if (!given.s3) deps.s3.destroy();
    if (!given.temporal) await deps.temporal.connection.close();
  };

  let server: Server;
  let relay: InboxRelay | null = null;
  try {
    const app = buildApp(deps);
    // As in api/server.ts: every test that posts LINE webhooks gets its events relayed.
    relay = startApiInboxRelay(deps);
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
  } catch (err) {
    await relay?.stop();
    await closeOwnClients();
    throw err;
  }
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    deps,
    async stop() {
      await new Promise((r) => server.close(r));
      server.closeAllConnections();
      await relay?.stop();
      await closeOwnClients();
    },
  };
}
