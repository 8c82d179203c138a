import type { Client, WorkflowHandle } from '@temporalio/client';
import type { AppConfig } from '../../config';
import { TaskQueues } from '../../config/task-queues';
import { createLedger, type Ledger } from '../../ledger';
import type { Db } from '../../lib/db';
import { createStripe, type Stripe } from '../../lib/stripe';
import { makeLineUserId, type LinePlatformStandIn } from '../../stand-ins';
import { stripeEvent, stripeEventWorkflowId } from '../../workflows/stripe-event';
import { postStripeWebhook, signEvent, type StripeEventJson } from './stripe-events';
import { startTestApi } from './test-api';
import { startLineStandIn, startWorker, type RunningWorker } from './workers';

export interface BillingHarness {
  config: AppConfig;
  db: Db;
  ledger: Ledger;
  stripe: Stripe;
  temporal: Client;
  line: LinePlatformStandIn;
  apiUrl: string;
  worker: RunningWorker | undefined;
  /** Env for a worker started as a child process against the same stand-in and queues. */
  childEnv: Record<string, string>;
  /** Signs (with the real webhook secret unless told otherwise) and posts the event. */
  deliver(
    event: StripeEventJson,
    opts?: { timestamp?: number; secret?: string; signature?: string | null },
  ): Promise<Response>;
  handle(eventId: string): WorkflowHandle<typeof stripeEvent>;
  newUser(): Promise<{ id: string; lineUserId: string }>;
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The billing path for a test file: the real API on a free port (real Stripe SDK against
 * stripe-mock for signatures and look-ups), a real worker on a private billing queue, the LINE
 * stand-in for the notices, the test database.
 */
export async function startBillingHarness(
  label: string,
  options: { worker?: boolean } = {},
): Promise<BillingHarness> {
  const { line, env, config } = await startLineStandIn(label);
  const api = await startTestApi(config);
  const { db, temporal } = api.deps;
  const apiUrl = api.url;
  let worker: RunningWorker | undefined =
    options.worker === false ? undefined : await startWorker(config, TaskQueues.billing);

  const harness: BillingHarness = {
    config,
    db,
    ledger: createLedger({ db, catalog: config.catalog, timeZone: config.env.TIME_ZONE }),
    stripe: createStripe(config.env),
    temporal,
    line,
    apiUrl,
    get worker() {
      return worker;
    },
    childEnv: { ...(process.env as Record<string, string>), ...env },
    async deliver(event, opts = {}) {
      const { payload, signature } = signEvent(
        event,
        opts.secret ?? config.env.STRIPE_WEBHOOK_SECRET,
        {
          timestamp: opts.timestamp,
        },
      );
      const header = opts.signature === null ? undefined : (opts.signature ?? signature);
      return postStripeWebhook(apiUrl, payload, header);
    },
    handle: (eventId) =>
      temporal.workflow.getHandle<typeof stripeEvent>(stripeEventWorkflowId(eventId)),
    async newUser() {
      const user = await db.user.create({ data: { lineUserId: makeLineUserId() } });
      return { id: user.id, lineUserId: user.lineUserId };
    },
    async startWorker() {
      worker ??= await startWorker(config, TaskQueues.billing);
    },
    async stopWorker() {
      await worker?.stop();
      worker = undefined;
    },
    async stop() {
      await worker?.stop();
      await api.stop();
      await line.close();
    },
  };
  return harness;
}
