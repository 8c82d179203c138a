import express, { Router } from 'express';
import { MAX_POSTBACK_DATA } from '../../domain/line-ui/postback';
import { bodyOf, lineUserIdOf, postbackOf } from './request';
import type { Simulator } from './simulator';
import { postbackEvent } from '../../stand-ins/line-webhook';

/**
 * A tap on one of the bot's postback buttons (a quick reply, a Flex card's button: the product
 * carousel's 購入する, the upgrade offers): LINE sends a signed `postback` event with the data
 * and a fresh reply token, and shows the displayText in the chat as the user's message.
 */
export function postbackRoutes(sim: Simulator): Router {
  const router = Router();
  const { line, log } = sim;

  router.post(
    '/dev/api/users/:lineUserId/postback',
    express.json({ limit: '4kb' }),
    async (req, res) => {
      const lineUserId = lineUserIdOf(req);
      const { data, displayText } = postbackOf(
        bodyOf(req),
        `body must be JSON { "data": "<1..${MAX_POSTBACK_DATA} characters>", "displayText"? }`,
      );
      await line.requireStandIn();
      const { at, webhookEventId, options } = await line.prepare(lineUserId, true);
      const { status } = await line.post(req, postbackEvent(lineUserId, data, options));
      const entry = log.remember(lineUserId, at, {
        kind: 'postback',
        data,
        ...(displayText ? { text: displayText } : {}),
        webhookEventId,
        status,
      });
      res.status(202).json(entry);
    },
  );

  return router;
}
