import { proxyActivities } from '@temporalio/workflow';
import type { AdminActivities, AdminPointsResult } from '../activities/admin';
import { addDays } from '../domain/clock';
import { LEDGER_SETTLE_ACTIVITY_OPTIONS } from './support/activity-options';

/**
 * An operator's point grant or adjustment (admin API `POST /admin/users/:lineUserId/points`),
 * one workflow per request, ID `admin-points-<requestId>`, on the billing queue. The request ID
 * is also the ledger source (`admin:<requestId>`) and the audit row's ID, so a repeated request
 * (same ID) never applies twice, whether it reaches this workflow again or not.
 */
export { adminPointsWorkflowId } from './support/ids';

export interface AdminAdjustPointsInput {
  requestId: string;
  userId: string;
  lineUserId: string;
  delta: number;
  reason: string;
  /** Expiry of the lot a positive delta creates, counted from the workflow's start. */
  expiresInDays?: number | null;
  actor: string;
}

/** Once accepted the change must land: infrastructure failures are retried until it does. */
const admin = proxyActivities<AdminActivities>(LEDGER_SETTLE_ACTIVITY_OPTIONS);

export async function adminAdjustPoints(input: AdminAdjustPointsInput): Promise<AdminPointsResult> {
  // Workflow time is deterministic: a replay or a retried activity gets the same expiry.
  const expiresAt =
    input.delta > 0 && input.expiresInDays
      ? addDays(new Date(), input.expiresInDays).toISOString()
      : null;
  return admin.adminApplyPoints({
    requestId: input.requestId,
    userId: input.userId,
    delta: input.delta,
    reason: input.reason,
    expiresAt,
    expiresInDays: input.expiresInDays ?? null,
    actor: input.actor,
  });
}
