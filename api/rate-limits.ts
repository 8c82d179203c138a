import type { RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import type { Env } from '../config/env';

/**
 * Rate limits of the user API (express-rate-limit, in-process memory store: each API process
 * counts its own callers, so a deployment of n processes allows up to n times the limit).
 *
 * - per client IP, on every /api request before anything else (USER_API_RATE_LIMIT_PER_IP);
 * - per LINE user, after the ID token is verified (USER_API_RATE_LIMIT_PER_USER): keyed by the
 *   verified `sub`, so nobody can spend another user's allowance with a forged token.
 *
 * Over the limit: 429 with Retry-After and the standard RateLimit headers.
 */

type LimitEnv = Pick<Env, 'USER_API_RATE_LIMIT_PER_IP' | 'USER_API_RATE_LIMIT_PER_USER'>;

const WINDOW_MS = 60_000;

const tooMany: RequestHandler = (_req, res) => {
  res.status(429).json({
    error: 'too many requests: wait a minute and try again',
    error_code: 'RATE_LIMITED',
  });
};

/** One limiter (one counter store) per environment object: every router shares it. */
function cached(cache: WeakMap<object, RequestHandler>, env: object, make: () => RequestHandler) {
  let handler = cache.get(env);
  if (!handler) cache.set(env, (handler = make()));
  return handler;
}

const perIp = new WeakMap<object, RequestHandler>();
const perUser = new WeakMap<object, RequestHandler>();

export function perIpLimit(env: LimitEnv): RequestHandler {
  return cached(perIp, env, () =>
    rateLimit({
      windowMs: WINDOW_MS,
      limit: env.USER_API_RATE_LIMIT_PER_IP,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      // IPv6 clients share their /56: one host cannot rotate through its own addresses.
      keyGenerator: (req) => ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? 'unknown'),
      handler: tooMany,
    }),
  );
}

/** After lineLoginAuth: counts the verified LINE user (req.lineUserId). */
export function perUserLimit(env: LimitEnv): RequestHandler {
  return cached(perUser, env, () =>
    rateLimit({
      windowMs: WINDOW_MS,
      limit: env.USER_API_RATE_LIMIT_PER_USER,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      keyGenerator: (req) => `user:${req.lineUserId ?? ''}`,
      skip: (req) => !req.lineUserId,
      handler: tooMany,
    }),
  );
}
