import express, { Router } from 'express';
import { MAX_POSTBACK_DATA } from '../../domain/line-ui/postback';
import { HttpError } from '../errors';
import { bodyOf, lineUserIdOf } from './request';
import type { Simulator } from './simulator';
import { postbackEvent } from '../../stand-ins/line-webhook';

/** LINE allows 300 characters of a postback action's displayText. */
const MAX_DISPLAY_TEXT = 300;

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
      const body = bodyOf(req);
      const { data } = body;
      const displayText = typeof body.displayText === 'string' ? body.displayText : undefined;
      if (typeof data !== 'string' || data === '' || data.length > MAX_POSTBACK_DATA)
        throw new HttpError(
          400,
          'INVALID_INPUT',
          `body must be JSON { "data": "<1..${MAX_POSTBACK_DATA} characters>", "displayText"? }`,
        );
      if (displayText !== undefined && displayText.length > MAX_DISPLAY_TEXT)
        throw new HttpError(400, 'INVALID_INPUT', `displayText: at most ${MAX_DISPLAY_TEXT}`);
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
