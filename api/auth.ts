import { createHmac, timingSafeEqual, verify as verifySignature } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Env } from '../config/env';
import { HttpError } from './errors';
import { LineLoginKeysUnavailable, lineLoginKeys, type LineLoginKeys } from './line-login-keys';
import { perUserLimit } from './rate-limits';

/**
 * User authentication for the user API: a LINE Login ID token (what LIFF's `liff.getIDToken()`
 * and LINE Login return) as `Authorization: Bearer <ID token>`.
 *
 * ID tokens are JWTs, verified locally (no call to LINE per request): web-login tokens are
 * signed HS256 with the LINE Login channel secret; LIFF and native-SDK tokens ES256 with one of
 * LINE's published keys (api/line-login-keys.ts, LINE_LOGIN_JWKS_URL). Then `iss` =
 * https://access.line.me, `aud` = our LINE Login channel ID, `exp` in the future, and `iat`
 * present, not in the future and at most ID_TOKEN_MAX_AGE_SECONDS ago, with a lifetime
 * (exp - iat) no longer than that (LINE issues tokens for an hour; a token "valid for 100
 * years" is refused). `sub` is the LINE user ID.
 */

declare module 'express-serve-static-core' {
  interface Request {
    /** The authenticated LINE user (set by lineLoginAuth). */
    lineUserId?: string;
  }
}

export const LINE_LOGIN_ISSUER = 'https://access.line.me';

export interface IdTokenClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat?: number;
  [claim: string]: unknown;
}

export class IdTokenError extends Error {
  override readonly name = 'IdTokenError';
}

function decodeSegment(segment: string, what: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new IdTokenError(`malformed ID token ${what}`);
}

/**
 * Signs claims as LINE signs a web-login ID token (HS256 with the channel secret): for the
 * local /dev simulator, which stands in for LIFF, and for tests. Production never signs.
 */
export function signWebLoginIdToken(claims: Record<string, unknown>, secret: string): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const signed = `${b64({ typ: 'JWT', alg: 'HS256' })}.${b64(claims)}`;
  return `${signed}.${createHmac('sha256', secret).update(signed).digest('base64url')}`;
}

/** LINE's ID tokens live an hour (config: ID_TOKEN_MAX_AGE_SECONDS). */
export const DEFAULT_ID_TOKEN_MAX_AGE_SECONDS = 3600;
/** Clocks of LINE and of this host may differ a little. */
const CLOCK_SKEW_SECONDS = 60;

/** Verifies a LINE Login ID token; throws IdTokenError saying what is wrong. */
export async function verifyLineIdToken(
  token: string,
  options: {
    channelId: string;
    channelSecret: string;
    keys?: LineLoginKeys;
    now?: Date;
    /** Oldest `iat` and longest `exp - iat` accepted (seconds). */
    maxAgeSeconds?: number;
  },
): Promise<IdTokenClaims> {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => p === ''))
    throw new IdTokenError('the ID token is not a JWT');
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = decodeSegment(headerPart, 'header');
  const signed = Buffer.from(`${headerPart}.${payloadPart}`);
  const signature = Buffer.from(signaturePart, 'base64url');
  // The algorithms are ours to choose, never the token's: anything else (e.g. "none") fails.
  if (header.alg === 'HS256') {
    const expected = createHmac('sha256', options.channelSecret).update(signed).digest();
    if (signature.length !== expected.length || !timingSafeEqual(signature, expected))
      throw new IdTokenError('invalid ID token signature');
  } else if (header.alg === 'ES256' && options.keys) {
    const key = typeof header.kid === 'string' ? await options.keys.key(header.kid) : null;
    if (!key) throw new IdTokenError('ID token signed with a key LINE does not publish');
    const ok = verifySignature('sha256', signed, { key, dsaEncoding: 'ieee-p1363' }, signature);
    if (!ok) throw new IdTokenError('invalid ID token signature');
  } else {
    throw new IdTokenError(`unsupported ID token algorithm ${String(header.alg)}`);
  }

  const claims = decodeSegment(payloadPart, 'payload');
  if (claims.iss !== LINE_LOGIN_ISSUER) throw new IdTokenError('ID token issuer is not LINE');
  const aud = claims.aud;
  const audiences = Array.isArray(aud) ? aud : [aud];
  if (!audiences.includes(options.channelId))
    throw new IdTokenError('ID token was issued for another channel');
  const nowSeconds = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (typeof claims.exp !== 'number' || claims.exp <= nowSeconds)
    throw new IdTokenError('ID token has expired');
  const maxAge = options.maxAgeSeconds ?? DEFAULT_ID_TOKEN_MAX_AGE_SECONDS;
  if (typeof claims.iat !== 'number') throw new IdTokenError('ID token has no issue time (iat)');
  if (claims.iat > nowSeconds + CLOCK_SKEW_SECONDS)
    throw new IdTokenError('ID token was issued in the future');
  if (nowSeconds - claims.iat > maxAge || claims.exp - claims.iat > maxAge + CLOCK_SKEW_SECONDS)
    throw new IdTokenError('ID token is too old or lives too long: sign in again');
  if (typeof claims.sub !== 'string' || claims.sub === '')
    throw new IdTokenError('ID token names no user');
  return claims as IdTokenClaims;
}

/**
 * Sets req.lineUserId from a valid LINE Login ID token, or answers 401 with the reason (503
 * when LINE's keys cannot be fetched to check an ES256 token).
 */
export function lineLoginAuth(
  env: Pick<
    Env,
    | 'LINE_LOGIN_CHANNEL_ID'
    | 'LINE_LOGIN_CHANNEL_SECRET'
    | 'LINE_LOGIN_JWKS_URL'
    | 'ID_TOKEN_MAX_AGE_SECONDS'
    | 'USER_API_RATE_LIMIT_PER_IP'
    | 'USER_API_RATE_LIMIT_PER_USER'
  >,
): RequestHandler {
  const keys = keysFor(env.LINE_LOGIN_JWKS_URL);
  const limitUser = perUserLimit(env);
  return async (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) {
      res.set('WWW-Authenticate', 'Bearer');
      throw new HttpError(
        401,
        'UNAUTHENTICATED',
        'missing credentials: send a LINE Login ID token as "Authorization: Bearer <ID token>"',
      );
    }
    try {
      const claims = await verifyLineIdToken(match[1], {
        channelId: env.LINE_LOGIN_CHANNEL_ID,
        channelSecret: env.LINE_LOGIN_CHANNEL_SECRET,
        keys,
        maxAgeSeconds: env.ID_TOKEN_MAX_AGE_SECONDS,
      });
      req.lineUserId = claims.sub;
    } catch (err) {
      if (err instanceof LineLoginKeysUnavailable)
        throw new HttpError(503, 'AUTH_UNAVAILABLE', 'LINE Login keys are unavailable; try again');
      if (!(err instanceof IdTokenError)) throw err;
      res.set('WWW-Authenticate', 'Bearer error="invalid_token"');
      throw new HttpError(401, 'UNAUTHENTICATED', err.message);
    }
    // Per-user limit (api/rate-limits.ts): counted only once the token names a real user.
    await limitUser(req, res, next);
  };
}

/** One key cache per JWKS URL for the process (every router shares it). */
const keyCaches = new Map<string, LineLoginKeys>();
function keysFor(url: string): LineLoginKeys {
  let keys = keyCaches.get(url);
  if (!keys) keyCaches.set(url, (keys = lineLoginKeys(url)));
  return keys;
}
