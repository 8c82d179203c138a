import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import express, { Router } from 'express';
import type Stripe from 'stripe';
import { toBillingEvent } from '../../billing/events';
import { taskQueue, TaskQueues, workSearchAttributes } from '../../config/task-queues';
import { stripeEvent, stripeEventWorkflowId } from '../../workflows/stripe-event';
import type { ApiDeps } from '../deps';
import { HttpError } from '../errors';

/**
 * Stripe webhook: verify `Stripe-Signature` on the raw bytes (300 s tolerance, in the past and
 * in the future), start the grant
 * workflow `stripe-<event id>`, answer 200. Stripe retries non-2xx for days, so an event is
 * acknowledged only once Temporal has durably accepted its workflow; a second delivery finds the
 * workflow ID taken (REJECT_DUPLICATE) or the event in processed_events, and is acknowledged
 * without starting anything. Unknown event types are acknowledged and logged: answering non-2xx
 * would only make Stripe resend them.
 */
/** Stripe's default tolerance, both ways: older or newer signatures are refused. */
const SIGNATURE_TOLERANCE_SECONDS = 300;

export function stripeWebhookRouter(deps: ApiDeps): Router {
  const router = Router();
  const { env } = deps.config;
  const { stripe } = deps;

  router.post(
    '/webhooks/stripe',
    express.raw({ type: () => true, limit: '1mb' }),
    async (req, res) => {
      const signature = req.get('stripe-signature');
      if (!signature)
        throw new HttpError(400, 'INVALID_SIGNATURE', 'missing Stripe-Signature header');
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      // Stripe's library refuses old timestamps only; one from the future would stay
      // replayable for as long as it claims, so it is refused as well.
      const signedAt = Number(/(?:^|,)\s*t=(\d+)/.exec(signature)?.[1] ?? NaN);
      if (signedAt > Date.now() / 1000 + SIGNATURE_TOLERANCE_SECONDS)
        throw new HttpError(
          400,
          'INVALID_SIGNATURE',
          'invalid Stripe webhook: the signature timestamp is in the future',
        );
      let event: Stripe.Event;
      try {
        event = stripe.webhooks.constructEvent(
          body,
          signature,
          env.STRIPE_WEBHOOK_SECRET,
          SIGNATURE_TOLERANCE_SECONDS,
        );
      } catch (err) {
        // Wrong secret, tampered body, expired timestamp (replay) or a body that is not JSON.
        throw new HttpError(
          400,
          'INVALID_SIGNATURE',
          `invalid Stripe webhook: ${(err as Error).message}`,
        );
      }

      const billing = toBillingEvent(event);
      if (billing.kind === 'ignored') {
        deps.logger.info(
          { eventId: event.id, type: event.type, reason: billing.reason },
          'stripe event ignored',
        );
        res.status(200).json({ received: true, handled: false, reason: billing.reason });
        return;
      }

      const workflowId = stripeEventWorkflowId(event.id);
      const seen = await deps.db.processedEvent.findUnique({
        where: { source_eventId: { source: 'stripe', eventId: event.id } },
        select: { id: true },
      });
      let duplicate = seen !== null;
      if (!duplicate) {
        try {
          await deps.temporal.workflow.start(stripeEvent, {
            workflowId,
            taskQueue: taskQueue(env.TASK_QUEUE_PREFIX, TaskQueues.billing),
            args: [billing],
            workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
            workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
            typedSearchAttributes: workSearchAttributes(billing.owner.lineUserId, 'grant'),
          });
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
          duplicate = true;
        }
        // The record outlives Temporal's retention: a very late redelivery is still a no-op.
        await deps.db.processedEvent.createMany({
          data: [{ source: 'stripe', eventId: event.id, eventType: event.type, workflowId }],
          skipDuplicates: true,
        });
      }
      deps.metrics.workflowStarts.inc({
        kind: `stripe:${billing.kind}`,
        result: duplicate ? 'duplicate' : 'started',
      });
      deps.logger.info(
        { eventId: event.id, type: event.type, workflowId, duplicate },
        'stripe event accepted',
      );
      res.status(200).json({ received: true, handled: true, workflowId, duplicate });
    },
  );
  return router;
}
