import { validateSignature } from '@line/bot-sdk';
import express, { Router } from 'express';
import { taskQueue, TaskQueues } from '../../config/task-queues';
import {
  isAccepted,
  LineWebhookBody,
  toInboundEvent,
  type LineWebhookEvent,
} from '../../domain/line-events';
import { insertInboxEvents } from '../../services/line-inbox';
import type { ApiDeps } from '../deps';
import { HttpError } from '../errors';
import { wakeInboxRelays } from '../inbox-relay';

/**
 * LINE webhook: verify the signature on the raw bytes, write every event to the durable inbox
 * in one INSERT, acknowledge, wake the relay (api/inbox-relay.ts) that hands the events to the
 * users' session workflows. The answer never waits for Temporal: LINE records a timeout after
 * 2 s, and an event in the inbox survives a Temporal outage. A redelivered event is one row.
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

      const inbound: LineWebhookEvent[] = [];
      // Groups and rooms: only texts that mention the bot or start with a prefix are for it.
      const options = { groupPrefixes: deps.config.catalog.groups.prefixes };
      for (const raw of parsed.data.events) {
        const event = toInboundEvent(raw, options);
        if (isAccepted(event)) inbound.push(event);
        else {
          deps.logger.info(
            { webhookEventId: event.webhookEventId, type: event.type, reason: event.reason },
            'line event ignored',
          );
        }
      }
      const sessions = taskQueue(env.TASK_QUEUE_PREFIX, TaskQueues.chat);
      await insertInboxEvents(deps.db, sessions, inbound);
      for (const event of inbound) {
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
      if (inbound.length > 0) wakeInboxRelays(sessions);
    },
  );
  return router;
}
