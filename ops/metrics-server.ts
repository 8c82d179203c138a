import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RuntimeOptions } from '@temporalio/worker';
import type { Registry } from 'prom-client';
import type { Env } from '../config/env';

/**
 * Metrics endpoints of a worker process (workers/main.ts; which metric lives where:
 * ops/business-metrics.ts):
 *
 * - WORKER_METRICS_PORT: this process's prom-client registry (business counters, Node.js).
 * - WORKER_SDK_METRICS_PORT: the Temporal SDK core's own Prometheus exporter (task slots,
 *   polls, schedule-to-start and activity latencies, sticky cache), set up at Runtime.install.
 *
 * Both listen on METRICS_HOST (listenHost below): loopback unless configured in development,
 * all interfaces in production so Prometheus in another container can scrape them; keep the
 * ports off any public network.
 */

/** Loopback: what a development or test process listens on unless told otherwise. */
export const LOOPBACK_HOST = '127.0.0.1';
/** The default for a host-less call (tests); processes pass listenHost(env, ...). */
export const METRICS_HOST = LOOPBACK_HOST;

/**
 * The host a server listens on: the configured one (API_HOST, METRICS_HOST), else loopback in
 * development and test and all interfaces in production (behind the deployment's proxy).
 */
export function listenHost(env: Pick<Env, 'NODE_ENV'>, configured: string | undefined): string {
  if (configured) return configured;
  return env.NODE_ENV === 'production' ? '0.0.0.0' : LOOPBACK_HOST;
}

/** Serves `registry` at GET /metrics (any path, for old scrape configs); resolves once bound. */
export function serveMetrics(
  registry: Registry,
  port: number,
  host: string = METRICS_HOST,
): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    registry.metrics().then(
      (body) => {
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (err: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`metrics unavailable: ${(err as Error).message}\n`);
      },
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

export function boundPort(server: http.Server): number {
  return (server.address() as AddressInfo).port;
}

/** Runtime telemetry: the SDK's Prometheus exporter on `port`, or none. */
export function sdkTelemetry(
  port: number | undefined,
  host: string = METRICS_HOST,
): Pick<RuntimeOptions, 'telemetryOptions'> {
  if (!port) return {};
  return {
    telemetryOptions: {
      metrics: {
        prometheus: { bindAddress: `${host}:${port}`, useSecondsForDurations: true },
      },
    },
  };
}
