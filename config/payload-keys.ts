/**
 * The payload keyring from the environment: `PAYLOAD_KEYS=kid1:<base64 32 bytes>,kid2:...`
 * and `PAYLOAD_KEY_ID`, the key that seals new payloads. Rotation: add a key, point
 * PAYLOAD_KEY_ID at it, keep the old ones listed as long as histories sealed with them are
 * read (workflow retention + the time a run can stay open).
 */

export interface PayloadKeyring {
  /** Seals every new payload. */
  currentKeyId: string;
  /** Every key that may open a payload, by key ID. */
  keys: ReadonlyMap<string, Buffer>;
}

export const PAYLOAD_KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9_.-]{1,64}$/;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** The keyring, or the problems with the variables (never their values). */
export function parsePayloadKeys(
  keysText: string,
  currentKeyId: string | undefined,
): { keyring: PayloadKeyring } | { problems: string[] } {
  const problems: string[] = [];
  const keys = new Map<string, Buffer>();
  const entries = keysText
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  for (const [index, entry] of entries.entries()) {
    const colon = entry.indexOf(':');
    const kid = colon > 0 ? entry.slice(0, colon) : '';
    const material = colon > 0 ? entry.slice(colon + 1) : '';
    if (!KEY_ID.test(kid) || !BASE64.test(material)) {
      problems.push(`PAYLOAD_KEYS: entry ${index + 1} must be <key id>:<base64 key>`);
      continue;
    }
    const key = Buffer.from(material, 'base64');
    if (key.length !== PAYLOAD_KEY_BYTES) {
      problems.push(`PAYLOAD_KEYS: key "${kid}" must be ${PAYLOAD_KEY_BYTES} bytes (AES-256)`);
    } else if (keys.has(kid)) {
      problems.push(`PAYLOAD_KEYS: key ID "${kid}" is listed twice`);
    } else {
      keys.set(kid, key);
    }
  }
  if (entries.length === 0) problems.push('PAYLOAD_KEYS: must list at least one key');
  if (problems.length) return { problems };

  // One key needs no PAYLOAD_KEY_ID; with several the current one must be named, so adding a
  // key for a rotation never switches sealing by itself.
  const current = currentKeyId ?? (keys.size === 1 ? [...keys.keys()][0] : undefined);
  if (!current)
    return { problems: ['PAYLOAD_KEY_ID: is required when PAYLOAD_KEYS lists several keys'] };
  if (!keys.has(current))
    return { problems: [`PAYLOAD_KEY_ID: "${current}" is not in PAYLOAD_KEYS`] };
  return { keyring: { currentKeyId: current, keys } };
}

/** A new random key entry for PAYLOAD_KEYS (local runs and tests generate their own). */
export function newPayloadKeyEntry(kid: string, random: (n: number) => Buffer): string {
  return `${kid}:${random(PAYLOAD_KEY_BYTES).toString('base64')}`;
}
