import { createHash } from 'node:crypto';
import type { Tx } from '../lib/db';

/**
 * Durable idempotency records (idempotency_records): every grant, refund take-back and admin
 * adjustment claims its business key with a fingerprint of its parameters. The same key with
 * the same parameters is a repeat (the caller's effect is idempotent by that key as well); with
 * other parameters it is a conflict: a 409 at the admin API, a non-retryable failure in a
 * workflow. Retention never purges these rows.
 */

export type IdempotencyKind = 'grant' | 'refund' | 'admin_adjustment';

export class IdempotencyConflict extends Error {
  override readonly name = 'IdempotencyConflict';
  constructor(readonly key: string) {
    super(`idempotency key ${key} was already used with other parameters`);
  }
}

/** SHA-256 of the parameters as canonical JSON (keys sorted; undefined taken as null). */
export function fingerprint(params: Record<string, string | number | boolean | null | undefined>) {
  const canonical = Object.keys(params)
    .sort()
    .map((k) => [k, params[k] ?? null]);
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

export const grantKey = (sourceRef: string) => `grant:${sourceRef}`;
/** A refund's source ref (billing/refunds.ts) already reads `refund:<charge>:<refund>`. */
export const refundKey = (sourceRef: string) => sourceRef;
export const adminPointsKey = (requestId: string) => `admin-points:${requestId.toLowerCase()}`;

/** An admin point request's parameters: the same requestId must always mean these. */
export function adminPointsFingerprint(request: {
  userId: string;
  delta: number;
  reason: string;
  expiresInDays: number | null;
}): string {
  const { userId, delta, reason, expiresInDays } = request;
  return fingerprint({ userId, delta, reason, expiresInDays });
}

/**
 * Claims `key`: 'new' when this call recorded it, 'repeat' when it was recorded before with the
 * same fingerprint; throws IdempotencyConflict for another fingerprint. Run it in the effect's
 * own transaction where the record must mean "done" (ticket revocation).
 */
export async function claimIdempotency(
  tx: Tx,
  record: { key: string; kind: IdempotencyKind; fingerprint: string; userId: string | null },
): Promise<'new' | 'repeat'> {
  const inserted = await tx.$queryRaw<Array<{ key: string }>>`
    INSERT INTO idempotency_records (key, kind, fingerprint, user_id)
    VALUES (${record.key}, ${record.kind}, ${record.fingerprint}, ${record.userId}::uuid)
    ON CONFLICT (key) DO NOTHING
    RETURNING key`;
  if (inserted.length > 0) return 'new';
  const existing = await tx.idempotencyRecord.findUnique({
    where: { key: record.key },
    select: { fingerprint: true },
  });
  if (existing && existing.fingerprint !== record.fingerprint)
    throw new IdempotencyConflict(record.key);
  return 'repeat';
}
