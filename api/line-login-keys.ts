import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';

/**
 * LINE Login's public keys (JWKS) for ES256 ID tokens, which LIFF and LINE's native SDKs issue.
 * Fetched on first use and cached; fetched again when a token names a key we do not know (LINE
 * rotates keys), at most once per `minRefreshMs`, and at the latest after `ttlMs`.
 */
export interface LineLoginKeys {
  /** The public key with this key ID, or null when LINE does not publish one. */
  key(kid: string): Promise<KeyObject | null>;
}

export class LineLoginKeysUnavailable extends Error {
  override readonly name = 'LineLoginKeysUnavailable';
}

export function lineLoginKeys(
  url: string,
  options: { ttlMs?: number; minRefreshMs?: number; now?: () => number } = {},
): LineLoginKeys {
  const ttlMs = options.ttlMs ?? 60 * 60 * 1000;
  const minRefreshMs = options.minRefreshMs ?? 60 * 1000;
  const now = options.now ?? Date.now;
  let keys: Map<string, KeyObject> | null = null;
  let fetchedAt = 0;
  let inflight: Promise<void> | null = null;

  async function refresh(): Promise<void> {
    let body: { keys?: unknown };
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
      if (!res.ok) throw new Error(`answered ${res.status}`);
      body = (await res.json()) as { keys?: unknown };
    } catch (err) {
      throw new LineLoginKeysUnavailable(
        `LINE Login keys could not be fetched from ${url}: ${(err as Error).message}`,
      );
    }
    const next = new Map<string, KeyObject>();
    for (const jwk of Array.isArray(body.keys) ? (body.keys as JsonWebKey[]) : []) {
      if (typeof jwk.kid !== 'string' || jwk.kty !== 'EC' || jwk.crv !== 'P-256') continue;
      try {
        next.set(jwk.kid, createPublicKey({ key: jwk, format: 'jwk' }));
      } catch {
        // a key we cannot read is a key no token of ours can use
      }
    }
    keys = next;
    fetchedAt = now();
  }

  return {
    async key(kid) {
      const age = now() - fetchedAt;
      if (!keys || age > ttlMs || (!keys.has(kid) && age > minRefreshMs)) {
        inflight ??= refresh().finally(() => (inflight = null));
        await inflight;
      }
      return keys?.get(kid) ?? null;
    },
  };
}
