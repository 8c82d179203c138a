import { log, proxyActivities } from '@temporalio/workflow';
import type { LineMessagingActivities } from '../activities/line-messaging';
import { LINE_NOTICE_OPTIONS } from './support/activity-options';

/**
 * Tells a user on LINE that an operator changed their plan (admin API `PUT
 * /admin/users/:lineUserId/plan`), one workflow per change, ID `admin-plan-notice-<auditId>`, on
 * the billing queue. The change itself is already committed with its audit row; this only
 * delivers the text the API built from the catalog. The push's retry key derives from the audit
 * row's ID, so a retried delivery or a second start reaches the user once.
 */
export { adminPlanNoticeWorkflowId } from './support/ids';

export interface AdminPlanNoticeInput {
  auditId: string;
  lineUserId: string;
  texts: string[];
}

const line = proxyActivities<LineMessagingActivities>(LINE_NOTICE_OPTIONS);

/** The delivery ID of a plan change's notice (LINE's X-Line-Retry-Key derives from it). */
export const adminPlanNoticeDeliveryId = (auditId: string) => `admin-plan:${auditId}`;

export async function adminPlanNotice(input: AdminPlanNoticeInput): Promise<{ notified: boolean }> {
  try {
    await line.deliverMessages({
      lineUserId: input.lineUserId,
      texts: input.texts,
      deliveryId: adminPlanNoticeDeliveryId(input.auditId),
    });
    return { notified: true };
  } catch (err) {
    // The plan stands even if the user blocked the account.
    log.warn('plan change notice not delivered', { auditId: input.auditId, error: String(err) });
    return { notified: false };
  }
}
