import { Router, type RequestHandler } from 'express';
import type Stripe from 'stripe';
import type { Env } from '../../config/env';
import { createStripe } from '../../lib/stripe';
import type { ApiDeps } from '../deps';
import { buyRoutes } from './routes-buy';
import { groupRoutes } from './routes-groups';
import { pageRoutes } from './routes-page';
import { postbackRoutes } from './routes-postback';
import { timelineRoutes } from './routes-timeline';
import { userRoutes } from './routes-users';
import { voiceRoutes } from './routes-voice';
import { createSimulator } from './simulator';

/**
 * The local LINE simulator at `/dev`: a LINE-like chat page for trying the whole system by
 * hand (and for the browser test). Mounted only for local runs (see devSimulatorEnabled).
 *
 * The page never sees a secret. Its JSON endpoints (`/dev/api/...`) act as LINE and Stripe
 * would: they sign REAL webhook events with the channel secret / webhook secret and post them
 * to this same app's `/webhooks/line` and `/webhooks/stripe`, with reply tokens issued by the
 * LINE stand-in, and read back what the bot sent from the stand-in's inspection API.
 *
 * - GET  /dev                                  the page (routes-page.ts)
 * - GET  /dev/assets/noto-sans-jp.ttf          Japanese font (no system CJK font needed)
 * - GET  /dev/assets/simulator*.{js,css}       the page's scripts and styles (by name)
 * - GET  /dev/api/info                         stand-in reachability, products, Temporal UI
 * - GET  /dev/api/users                        recent users (database + created here)
 *                                              (routes-users.ts)
 * - POST /dev/api/users {displayName?}         a new LINE-format user ID (makeLineUserId)
 * - POST /dev/api/users/:id/follow             follow event
 * - POST /dev/api/users/:id/text {text}        text message event
 * - POST /dev/api/users/:id/sticker {packageId, stickerId}  a LINE sticker (message event)
 * - POST /dev/api/users/:id/postback {data, displayText?}  a tap on the bot's postback button
 *        (quick reply, Flex card): postback event (routes-postback.ts)
 * - POST /dev/api/users/:id/photo              multipart `image` (+ optional `texts`): the
 *        bytes become LINE content at the stand-in, an image event is sent, then (after the
 *        bot's answer to the photo) the texts as one text message, one sticker text per line
 * - POST /dev/api/users/:id/audio             multipart `audio` and/or `text` (what it says),
 *        `seconds` (default 3): the bytes (the text in the LLM stand-in's markers) become
 *        LINE content at the stand-in, an audio event is sent (routes-voice.ts)
 * - POST /dev/api/users/:id/buy {productId}    checkout session through POST /api/checkout
 *        (LINE Login ID token minted here), then a signed `checkout.session.completed`
 *        (routes-buy.ts, stripe-client.ts)
 * - GET  /dev/api/users/:id/timeline           what was sent and what the bot replied/pushed,
 *        balance, usage, tickets, and the user's workflows with Temporal Web UI links
 *        (routes-timeline.ts, timeline.ts)
 * - GET  /dev/api/users/:id/photos/:messageId  a photo the user sent (from the stand-in)
 * - /dev/api/groups…                           group chats and rooms of simulated users: join,
 *        leave, a member's message with or without a mention of the bot, a member's tap, the
 *        group's timeline (routes-groups.ts; events: stand-ins/line-webhook.ts)
 */

/**
 * The simulator exists only locally: NODE_ENV development or test. Never in production, not
 * even with LOCAL_STAND_INS: its buy route signs Stripe events with the real webhook secret.
 */
export function devSimulatorEnabled(env: Pick<Env, 'LOCAL_STAND_INS' | 'NODE_ENV'>): boolean {
  return env.NODE_ENV === 'development' || env.NODE_ENV === 'test';
}

function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return address === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/**
 * Only callers on this machine: the connection must come from loopback, and so must the
 * client a loopback proxy names (req.ip, trust proxy "loopback"), whatever host the API
 * listens on.
 */
export const loopbackOnly: RequestHandler = (req, res, next) => {
  if (isLoopback(req.socket.remoteAddress) && isLoopback(req.ip)) {
    next();
    return;
  }
  res
    .status(403)
    .json({ error: 'the /dev simulator answers loopback callers only', error_code: 'FORBIDDEN' });
};

export function devSimulatorRouter(
  deps: ApiDeps,
  stripe: Stripe = createStripe(deps.config.env),
): Router {
  const sim = createSimulator(deps, stripe);
  const router = Router();
  router.use('/dev', loopbackOnly);
  router.use(pageRoutes(sim));
  router.use(userRoutes(sim));
  router.use(voiceRoutes(sim));
  router.use(postbackRoutes(sim));
  router.use(buyRoutes(sim));
  router.use(timelineRoutes(sim));
  router.use(groupRoutes(sim));
  return router;
}
