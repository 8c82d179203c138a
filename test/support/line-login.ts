import { LINE_LOGIN_ISSUER, signWebLoginIdToken } from '../../api/auth';
import type { AppConfig } from '../../config';

/**
 * A LINE Login ID token (HS256, as LINE signs web login) for the user and stamp APIs;
 * `overrides` change claims, `secret` signs with another key (a forged token).
 */
export function lineIdToken(
  config: AppConfig,
  lineUserId: string,
  overrides: Record<string, unknown> = {},
  secret?: string,
): string {
  const now = Math.floor(Date.now() / 1000);
  return signWebLoginIdToken(
    {
      iss: LINE_LOGIN_ISSUER,
      sub: lineUserId,
      aud: config.env.LINE_LOGIN_CHANNEL_ID,
      exp: now + 3600,
      iat: now,
      ...overrides,
    },
    secret ?? config.env.LINE_LOGIN_CHANNEL_SECRET,
  );
}
