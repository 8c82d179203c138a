import express, { type Express } from 'express';
import { createApiDeps, type ApiClients, type ApiServices } from './deps';
import { errorHandler, notFound } from './errors';
import { healthRouter, metricsOnApiPort } from './routes/health';
import { landingRouter } from './routes/landing';
import { perIpLimit } from './rate-limits';
import { lineWebhookRouter } from './routes/line-webhook';
import { checkoutRouter } from './routes/checkout';
import { codecRouter } from './routes/codec';
import { stripeWebhookRouter } from './routes/stripe-webhook';
import { stampsRouter } from './routes/stamps';
import { devSimulatorEnabled, devSimulatorRouter } from './dev';
// user + admin API, usage page, business gauges on /metrics
import { registerBusinessMetrics } from '../ops/business-metrics';
import { adminRouter } from './routes/admin';
import { adminUsageRouter } from './routes/admin-usage-page';
import { adminConsoleRouter } from './routes/admin-console';
import { userRouter } from './routes/user';

/**
 * The thin trigger layer: verify, acknowledge, start or signal a workflow. Business effects
 * happen in activities, never here. The ledger, Stripe client and checkout are built once here
 * (api/deps.ts) and shared by the routes; `services` replaces any of them (tests).
 */
export function createApp(clients: ApiClients, services: Partial<ApiServices> = {}): Express {
  const deps = createApiDeps(clients, services);
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

  app.use(healthRouter(deps, { metricsOnApiPort: metricsOnApiPort(deps.config.env) }));
  const landing = {
    simulator: devSimulatorEnabled(deps.config.env),
    metrics: metricsOnApiPort(deps.config.env),
  };
  app.use(landingRouter(deps.config.env, landing));
  // Per-IP limit on the user API (the per-user one follows sign-in: api/rate-limits.ts).
  app.use(['/api', '/checkout'], perIpLimit(deps.config.env));
  app.use(lineWebhookRouter(deps));
  app.use(stripeWebhookRouter(deps));
  app.use(checkoutRouter(deps));
  app.use(stampsRouter(deps));
  // Sealed Temporal payloads decoded for operators (the Web UI's codec endpoint).
  app.use(codecRouter(deps));

  // User API (LINE Login), admin API + usage page (ADMIN_TOKEN); database-derived business
  // gauges for GET /metrics (which metric lives where: ops/business-metrics.ts).
  app.use(userRouter(deps));
  app.use(adminRouter(deps));
  app.use(adminUsageRouter(deps));
  app.use(adminConsoleRouter(deps));
  registerBusinessMetrics(deps.metrics.registry, deps.db, { logger: deps.logger });

  // Local LINE simulator (/dev): local runs only (stand-ins or NODE_ENV development/test).
  if (devSimulatorEnabled(deps.config.env)) app.use(devSimulatorRouter(deps, deps.stripe));

  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}
