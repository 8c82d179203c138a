import { ApplicationFailure } from '@temporalio/activity';
import type { Clock } from '../domain/clock';
import { invalidInput } from '../domain/errors';
import { isUuid } from '../domain/uuid';
import type { AlsoWithChange, Ledger } from '../ledger';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/metrics';
import type { Db } from '../lib/db';
import { AUDIT_ACTIONS, writeAudit } from '../services/admin-audit';
import {
  adminPointsFingerprint,
  adminPointsKey,
  claimIdempotency,
  IdempotencyConflict,
} from '../services/idempotency';
import { toFailure } from './ledger';

/**
 * The `adminApplyPoints` activity of the `adminAdjustPoints` workflow (billing queue): an
 * operator's point grant or adjustment, through the ledger (idempotent by `admin:<requestId>`).
 * The audit row (primary key: the request ID) is written inside the ledger's transaction, only
 * when it makes the change: a retried activity finds the grant already claimed, and writes
 * nothing. The admin API's direct changes (plan, privileged users) live in services/admin-users.ts.
 */

/** Ledger source ref of an admin request (point_grants.source_ref, ledger log ref). */
export const adminSourceRef = (requestId: string) => `admin:${requestId}`;

export interface AdminPointsInput {
  /** The operator's idempotency key (UUID): ledger source `admin:<requestId>`, audit row ID. */
  requestId: string;
  userId: string;
  /** Non-zero: positive grants (pays debts first, then a new lot), negative charges. */
  delta: number;
  reason: string;
  /** Expiry of the lot a positive delta creates (ISO 8601); null = never. */
  expiresAt: string | null;
  /**
   * The request's `expiresInDays`, part of its idempotency fingerprint (absent in workflows
   * started before the fingerprint existed).
   */
  expiresInDays?: number | null;
  actor: string;
}

export interface AdminPointsResult {
  requestId: string;
  userId: string;
  delta: number;
  reason: string;
  /** False when this request had been applied before (nothing changed this time). */
  applied: boolean;
  balanceBefore: number | null;
  balanceAfter: number;
  auditId: string;
}

export interface AdminActivityDeps {
  db: Db;
  ledger: Pick<Ledger, 'grantPoints' | 'adjustPoints'>;
  clock: Clock;
  logger: Logger;
  metrics?: Pick<Metrics, 'grants' | 'adminActions' | 'businessErrors'>;
}

export function createAdminActivities(deps: AdminActivityDeps) {
  const { db, ledger, clock, logger, metrics } = deps;
  const onBusinessError = (code: string) => metrics?.businessErrors.inc({ code });

  async function applyPoints(input: AdminPointsInput): Promise<AdminPointsResult> {
    if (!isUuid(input?.requestId))
      throw invalidInput('requestId must be a UUID', { field: 'requestId' });
    if (typeof input.actor !== 'string' || input.actor.trim() === '')
      throw invalidInput('actor is required', { field: 'actor' });
    const requestId = input.requestId.toLowerCase();
    const sourceRef = adminSourceRef(requestId);
    // The durable record (services/idempotency.ts): the API claimed it already; a workflow
    // started some other way with a reused requestId and other parameters fails for good.
    await claimIdempotency(db, {
      key: adminPointsKey(requestId),
      kind: 'admin_adjustment',
      userId: input.userId,
      fingerprint: adminPointsFingerprint({ ...input, expiresInDays: input.expiresInDays ?? null }),
    });
    const action = input.delta > 0 ? AUDIT_ACTIONS.grantPoints : AUDIT_ACTIONS.adjustPoints;
    // point_grants.reason starts with "admin:" so grants can be told apart by origin.
    const ledgerReason = `admin:${input.reason}`;

    // The audit row is written in the ledger's own transaction, only when the change is made:
    // a retried request (the change already applied) writes neither again.
    let balanceBefore: number | null = null;
    const audit: AlsoWithChange = async (tx, change) => {
      balanceBefore = change.balanceBefore;
      await writeAudit(tx, {
        id: requestId,
        actor: input.actor,
        action,
        targetUserId: input.userId,
        before: { balance: change.balanceBefore, held: change.held },
        after: {
          balance: change.balanceAfter,
          delta: input.delta,
          expiresAt: input.expiresAt,
          sourceRef,
        },
        reason: input.reason,
        at: clock.now(),
      });
    };
    const { changed, balanceAfter } =
      input.delta > 0
        ? await ledger
            .grantPoints(
              {
                sourceRef,
                userId: input.userId,
                points: input.delta,
                expiresAt: input.expiresAt,
                reason: ledgerReason,
              },
              audit,
            )
            .then((r) => ({ changed: r.granted, balanceAfter: r.balanceAfter }))
        : await ledger
            .adjustPoints(
              {
                sourceRef,
                userId: input.userId,
                delta: input.delta,
                expiresAt: null,
                reason: ledgerReason,
              },
              audit,
            )
            .then((r) => ({ changed: r.adjusted, balanceAfter: r.balanceAfter }));

    if (changed) {
      metrics?.grants.inc({ kind: 'admin_points' });
      metrics?.adminActions.inc({ action });
    }
    logger.info(
      { requestId, userId: input.userId, delta: input.delta, applied: changed },
      'admin points request processed',
    );
    return {
      requestId,
      userId: input.userId,
      delta: input.delta,
      reason: input.reason,
      applied: changed,
      balanceBefore,
      balanceAfter,
      auditId: requestId,
    };
  }

  return {
    async adminApplyPoints(input: AdminPointsInput): Promise<AdminPointsResult> {
      try {
        return await applyPoints(input);
      } catch (err) {
        // A reused requestId: the same refusal as the ledger's for a reused source (HTTP 409).
        if (err instanceof IdempotencyConflict)
          throw ApplicationFailure.create({
            type: 'INVALID_INPUT',
            message: err.message,
            details: [{ field: 'sourceRef' }],
            nonRetryable: true,
          });
        throw toFailure(err, onBusinessError);
      }
    },
  };
}

export type AdminActivities = ReturnType<typeof createAdminActivities>;
