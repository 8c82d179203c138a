import express, { type Express } from 'express';
import type { ApiDeps } from './deps';
import { errorHandler, notFound } from './errors';
import { healthRouter } from './routes/health';

/**
 * The thin trigger layer: verify, acknowledge, start or signal a workflow. Business effects
 * happen in activities, never here.
 */
export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');

  app.use((req, res, next) => {
    res.on('finish', () => {
      const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
      deps.metrics.httpRequests.inc({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  });

  app.use(healthRouter(deps));

  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}
