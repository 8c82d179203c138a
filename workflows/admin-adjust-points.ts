import {
  ParentClosePolicy,
  patched,
  proxyActivities,
  startChild,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { AdminActivities, AdminPointsResult } from '../activities/admin';
import { addDays } from '../domain/clock';
import { LEDGER_SETTLE_ACTIVITY_OPTIONS } from './support/activity-options';
import { adminPointsNotice } from './admin-points-notice';
import { adminPointsNoticeWorkflowId } from './support/ids';

/**
 * An operator's point grant or adjustment (admin API `POST /admin/users/:lineUserId/points`),
 * one workflow per request, ID `admin-points-<requestId>`, on the billing queue. The request ID
 * is also the ledger source (`admin:<requestId>`) and the audit row's ID, so a repeated request
 * (same ID) never applies twice, whether it reaches this workflow again or not.
 *
 * Then the user is told on LINE (patch `admin-grant-notice`; runs started before it tell no
 * one) by workflows/admin-points-notice.ts, whose ID and push retry key derive from the request
 * ID, so one grant is one message: a retried delivery, a rerun after a failed run, or an apply
 * that found the grant already made (its earlier attempt died after committing) all reach the
 * user once.
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
  /**
   * The LINE notice (catalog adminNotices), `{points}` and `{balance}` filled in here; absent
   * in runs started before the notice existed, and when the operator asked for none.
   */
  noticeTemplate?: string | null;
}

export interface AdminAdjustPointsResult extends AdminPointsResult {
  /** The LINE notice's own workflow (adminPointsNotice), when the user is told. */
  noticeWorkflowId?: string;
}

/** Once accepted the change must land: infrastructure failures are retried until it does. */
const admin = proxyActivities<AdminActivities>(LEDGER_SETTLE_ACTIVITY_OPTIONS);

/** `{points}` (absolute) and `{balance}` in an operator notice template. */
export function fillAdminNotice(template: string, values: { points: number; balance: number }) {
  return template
    .replaceAll('{points}', String(Math.abs(values.points)))
    .replaceAll('{balance}', String(values.balance));
}

export async function adminAdjustPoints(
  input: AdminAdjustPointsInput,
): Promise<AdminAdjustPointsResult> {
  // Workflow time is deterministic: a replay or a retried activity gets the same expiry.
  const expiresAt =
    input.delta > 0 && input.expiresInDays
      ? addDays(new Date(), input.expiresInDays).toISOString()
      : null;
  const result = await admin.adminApplyPoints({
    requestId: input.requestId,
    userId: input.userId,
    delta: input.delta,
    reason: input.reason,
    expiresAt,
    expiresInDays: input.expiresInDays ?? null,
    actor: input.actor,
  });
  if (!patched('admin-grant-notice') || !input.noticeTemplate) return result;
  // Told whether or not THIS run applied it: an apply that found its own grant already made
  // (an attempt that died after the commit) must still tell the user. The notice is its own
  // workflow, abandoned: the operator's answer does not wait on LINE.
  const noticeWorkflowId = adminPointsNoticeWorkflowId(result.requestId);
  try {
    await startChild(adminPointsNotice, {
      workflowId: noticeWorkflowId,
      args: [
        {
          requestId: result.requestId,
          lineUserId: input.lineUserId,
          text: fillAdminNotice(input.noticeTemplate, {
            points: result.delta,
            balance: result.balanceAfter,
          }),
        },
      ],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      // Once per request, also after the notice's own run has closed.
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    });
  } catch (err) {
    // A rerun of this request (an earlier run failed after starting it): the notice is on its way.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  return { ...result, noticeWorkflowId };
}
