import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HttpError } from './errors';

/**
 * Operator authentication for the admin API: `Authorization: Bearer <ADMIN_TOKEN>`, and the
 * operator's name in `X-Admin-Actor` for every change (it goes to admin_audit_logs.actor).
 *
 * The token is compared in constant time: both sides are hashed to SHA-256 first, so neither
 * the content nor the length of the configured token leaks through response timing.
 */

declare module 'express-serve-static-core' {
  interface Request {
    /** The operator named by X-Admin-Actor (set by requireAdminActor). */
    adminActor?: string;
  }
}

export const ADMIN_ACTOR_HEADER = 'X-Admin-Actor';
const MAX_ACTOR_LENGTH = 100;

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** Constant-time equality of two secrets of any length. */
export function secretEquals(given: string, expected: string): boolean {
  return timingSafeEqual(sha256(given), sha256(expected));
}

/** 401 unless the request carries the admin bearer token. */
export function adminAuth(adminToken: string): RequestHandler {
  return (req, res, next) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
    if (!match?.[1]) {
      res.set('WWW-Authenticate', 'Bearer realm="admin"');
      throw new HttpError(
        401,
        'UNAUTHENTICATED',
        'missing admin credentials: send "Authorization: Bearer <ADMIN_TOKEN>"',
      );
    }
    if (!secretEquals(match[1], adminToken)) {
      res.set('WWW-Authenticate', 'Bearer realm="admin", error="invalid_token"');
      throw new HttpError(401, 'UNAUTHENTICATED', 'invalid admin token');
    }
    next();
  };
}

/** 400 unless `X-Admin-Actor` names the operator (1..100 printable characters). */
export const requireAdminActor: RequestHandler = (req, _res, next) => {
  const actor = (req.get(ADMIN_ACTOR_HEADER) ?? '').trim();
  if (!actor)
    throw new HttpError(
      400,
      'INVALID_INPUT',
      `missing ${ADMIN_ACTOR_HEADER} header: name the operator making this change`,
      { field: ADMIN_ACTOR_HEADER },
    );
  // eslint-disable-next-line no-control-regex
  if (actor.length > MAX_ACTOR_LENGTH || /[\u0000-\u001f\u007f]/.test(actor))
    throw new HttpError(
      400,
      'INVALID_INPUT',
      `${ADMIN_ACTOR_HEADER} must be at most ${MAX_ACTOR_LENGTH} printable characters`,
      { field: ADMIN_ACTOR_HEADER },
    );
  req.adminActor = actor;
  next();
};
