import { createHmac } from 'node:crypto';
import { LINE_LOGIN_ISSUER } from '../../api/auth';
import type { AppConfig } from '../../config';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/**
 * Signs a LINE Login ID token (HS256, as LINE does for web login) for the user and stamp APIs;
 * `overrides` change claims, `secret` signs with another key (a forged token).
 */
export function lineIdToken(
  config: AppConfig,
  lineUserId: string,
  overrides: Record<string, unknown> = {},
  secret?: string,
): string {
  const now = Math.floor(Date.now() / 1000);
  const head = b64({ typ: 'JWT', alg: 'HS256' });
  const body = b64({
    iss: LINE_LOGIN_ISSUER,
    sub: lineUserId,
    aud: config.env.LINE_LOGIN_CHANNEL_ID,
    exp: now + 3600,
    iat: now,
    ...overrides,
  });
  const sig = createHmac('sha256', secret ?? config.env.LINE_LOGIN_CHANNEL_SECRET)
    .update(`${head}.${body}`)
    .digest('base64url');
  return `${head}.${body}.${sig}`;
}
