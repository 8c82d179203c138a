import { Router } from 'express';
import { HttpError } from '../errors';
import { lineUserIdOf, param } from './request';
import type { Simulator } from './simulator';
import { timelineReader } from './timeline';

/** What the page polls: the user's timeline, and the photos the user sent. */
export function timelineRoutes(sim: Simulator): Router {
  const router = Router();
  const { env } = sim;
  const timeline = timelineReader(sim);

  router.get('/dev/api/users/:lineUserId/timeline', async (req, res) => {
    const lineUserId = lineUserIdOf(req);
    res.set('cache-control', 'no-store').json(await timeline(lineUserId));
  });

  router.get('/dev/api/users/:lineUserId/photos/:messageId', async (req, res) => {
    lineUserIdOf(req);
    const messageId = param(req, 'messageId');
    if (!/^\d{1,30}$/.test(messageId))
      throw new HttpError(400, 'INVALID_INPUT', 'messageId must be numeric');
    const content = await fetch(
      `${env.LINE_DATA_API_BASE_URL.replace(/\/+$/, '')}/v2/bot/message/${messageId}/content`,
      { headers: { authorization: `Bearer ${env.LINE_CHANNEL_ACCESS_TOKEN}` } },
    );
    if (!content.ok) throw new HttpError(404, 'NOT_FOUND', 'no such photo at the LINE stand-in');
    res
      .set('cache-control', 'private, max-age=3600')
      .type(content.headers.get('content-type') ?? 'application/octet-stream')
      .send(Buffer.from(await content.arrayBuffer()));
  });

  return router;
}
