import { validateSignature } from '@line/bot-sdk';
import express, { Router } from 'express';
import { taskQueue, TaskQueues, workSearchAttributes } from '../../config/task-queues';
import { isInbound, LineWebhookBody, toInboundEvent } from '../../domain/line-events';
import {
  lineEventSignal,
  lineUserSession,
  SESSION_TASK_TIMEOUT,
  sessionWorkflowId,
} from '../../workflows/line-user-session';
import type { ApiDeps } from '../deps';
import { HttpError } from '../errors';

/**
 * LINE webhook: verify the signature on the raw bytes, hand each event to the user's session
 * workflow (signal-with-start), acknowledge. LINE redelivers when we answer non-2xx, so an
 * event is acknowledged only after Temporal has durably accepted it.
 */
export function lineWebhookRouter(deps: ApiDeps): Router {
  const router = Router();
  const { env } = deps.config;

  router.post(
    '/webhooks/line',
    express.raw({ type: () => true, limit: '1mb' }),
    async (req, res) => {
      const signature = req.get('x-line-signature');
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      if (!signature || !validateSignature(body, env.LINE_CHANNEL_SECRET, signature)) {
        throw new HttpError(401, 'INVALID_SIGNATURE', 'missing or invalid x-line-signature');
      }
      let json: unknown;
      try {
        json = JSON.parse(body.toString('utf8'));
      } catch {
        throw new HttpError(400, 'INVALID_INPUT', 'malformed JSON body');
      }
      const parsed = LineWebhookBody.safeParse(json);
      if (!parsed.success) {
        throw new HttpError(400, 'INVALID_INPUT', 'body must be a LINE webhook: { events: [...] }');
      }

      for (const raw of parsed.data.events) {
        const event = toInboundEvent(raw);
        if (!isInbound(event)) {
          deps.logger.info(
            { webhookEventId: event.webhookEventId, type: event.type, reason: event.reason },
            'line event ignored',
          );
          continue;
        }
        await deps.temporal.workflow.signalWithStart(lineUserSession, {
          workflowId: sessionWorkflowId(event.lineUserId),
          taskQueue: taskQueue(env.TASK_QUEUE_PREFIX, TaskQueues.chat),
          args: [event.lineUserId],
          signal: lineEventSignal,
          signalArgs: [event],
          typedSearchAttributes: workSearchAttributes(event.lineUserId, 'session'),
          // Chat turns run as local activities inside the session's workflow task: if its
          // worker dies mid-turn, this is how soon another worker takes the turn over.
          workflowTaskTimeout: SESSION_TASK_TIMEOUT,
        });
        deps.metrics.workflowStarts.inc({ kind: event.type, result: 'signalled' });
        deps.logger.info(
          {
            webhookEventId: event.webhookEventId,
            type: event.type,
            redelivery: event.isRedelivery,
          },
          'line event accepted',
        );
      }
      res.status(200).json({});
    },
  );
  return router;
}
