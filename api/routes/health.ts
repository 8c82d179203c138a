import { Router } from 'express';
import { checkBucket } from '../../lib/s3';
import { checkTemporal } from '../../lib/temporal';
import type { Env } from '../../config/env';
import type { ApiDeps } from '../deps';

const CHECK_TIMEOUT_MS = 3000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * In production /metrics (points, yen by model, turn counts) stays off PORT, the public webhook
 * port: it is served on METRICS_PORT (api/server.ts) or not at all.
 */
export function metricsOnApiPort(env: Pick<Env, 'NODE_ENV'>): boolean {
  return env.NODE_ENV !== 'production';
}

/** Liveness of every dependency, each named, so an operator sees which one failed. */
export function healthRouter(deps: ApiDeps, options: { metricsOnApiPort: boolean }): Router {
  const router = Router();
  router.get('/healthz', async (_req, res) => {
    const checks: Record<string, () => Promise<unknown>> = {
      postgres: () => deps.db.$queryRaw`SELECT 1`,
      temporal: () => checkTemporal(deps.temporal),
      s3: () => checkBucket(deps.s3, deps.config.env.S3_BUCKET),
    };
    const results = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          await withTimeout(check(), CHECK_TIMEOUT_MS);
          return [name, { ok: true }] as const;
        } catch (err) {
          return [name, { ok: false, error: (err as Error).name || 'Error' }] as const;
        }
      }),
    );
    const failed = results.filter(([, r]) => !r.ok).map(([name]) => name);
    res.status(failed.length ? 503 : 200).json({
      status: failed.length ? 'unhealthy' : 'ok',
      failed,
      checks: Object.fromEntries(results),
    });
  });

  if (!options.metricsOnApiPort) return router;
  router.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  return router;
}
