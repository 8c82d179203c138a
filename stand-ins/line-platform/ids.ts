import { randomBytes } from 'node:crypto';
import { UUID_PATTERN } from '../../domain/uuid';

/** LINE's ID formats, as the platform checks them. */

export const USER_ID = /^U[0-9a-f]{32}$/;
export const CHAT_ID = /^[UCR][0-9a-f]{32}$/;
/** X-Line-Retry-Key is a UUID in hexadecimal format. */
export const RETRY_KEY = UUID_PATTERN;

/** A syntactically valid LINE user ID; deterministic for a given seed. */
export function makeLineUserId(seed?: string): string {
  if (seed === undefined) return `U${randomBytes(16).toString('hex')}`;
  let h = 0x811c9dc5;
  const out: string[] = [];
  for (let round = 0; round < 4; round++) {
    for (const ch of `${round}:${seed}`) {
      h ^= ch.codePointAt(0) ?? 0;
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    out.push(h.toString(16).padStart(8, '0'));
  }
  return `U${out.join('')}`;
}
