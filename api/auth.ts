import { createHmac, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HttpError } from './errors';

/**
 * User authentication for the user API: a LINE Login ID token (what LIFF's `liff.getIDToken()`
 * and web LINE Login return) as `Authorization: Bearer <ID token>`.
 *
 * Web-login ID tokens are JWTs signed HS256 with the LINE Login channel secret, so they are
 * verified locally (no call to LINE): signature, `iss` = https://access.line.me, `aud` = our
 * LINE Login channel ID, `exp` in the future. `sub` is the LINE user ID. Tokens signed ES256
 * (LINE's native SDKs) are refused: verifying those needs LINE's public keys, which this
 * service does not fetch.
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

/** Verifies a LINE Login ID token; throws IdTokenError saying what is wrong. */
export function verifyLineIdToken(
  token: string,
  options: { channelId: string; channelSecret: string; now?: Date },
): IdTokenClaims {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => p === ''))
    throw new IdTokenError('the ID token is not a JWT');
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = decodeSegment(headerPart, 'header');
  // The algorithm is ours to choose, never the token's: anything but HS256 (e.g. "none") fails.
  if (header.alg !== 'HS256')
    throw new IdTokenError(`unsupported ID token algorithm ${String(header.alg)}`);

  const expected = createHmac('sha256', options.channelSecret)
    .update(`${headerPart}.${payloadPart}`)
    .digest();
  const actual = Buffer.from(signaturePart, 'base64url');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected))
    throw new IdTokenError('invalid ID token signature');

  const claims = decodeSegment(payloadPart, 'payload');
  if (claims.iss !== LINE_LOGIN_ISSUER) throw new IdTokenError('ID token issuer is not LINE');
  const aud = claims.aud;
  const audiences = Array.isArray(aud) ? aud : [aud];
  if (!audiences.includes(options.channelId))
    throw new IdTokenError('ID token was issued for another channel');
  const nowSeconds = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (typeof claims.exp !== 'number' || claims.exp <= nowSeconds)
    throw new IdTokenError('ID token has expired');
  if (typeof claims.sub !== 'string' || claims.sub === '')
    throw new IdTokenError('ID token names no user');
  return claims as IdTokenClaims;
}

/** Sets req.lineUserId from a valid LINE Login ID token, or answers 401 with the reason. */
export function lineLoginAuth(env: {
  LINE_LOGIN_CHANNEL_ID: string;
  LINE_LOGIN_CHANNEL_SECRET: string;
}): RequestHandler {
  return (req, res, next) => {
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
      const claims = verifyLineIdToken(match[1], {
        channelId: env.LINE_LOGIN_CHANNEL_ID,
        channelSecret: env.LINE_LOGIN_CHANNEL_SECRET,
      });
      req.lineUserId = claims.sub;
    } catch (err) {
      if (!(err instanceof IdTokenError)) throw err;
      res.set('WWW-Authenticate', 'Bearer error="invalid_token"');
      throw new HttpError(401, 'UNAUTHENTICATED', err.message);
    }
    next();
  };
}
