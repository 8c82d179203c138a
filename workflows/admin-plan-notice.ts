import { deliverAdminNotice } from './support/admin-notice';

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

/** The delivery ID of a plan change's notice (LINE's X-Line-Retry-Key derives from it). */
export const adminPlanNoticeDeliveryId = (auditId: string) => `admin-plan:${auditId}`;

export async function adminPlanNotice(input: AdminPlanNoticeInput): Promise<{ notified: boolean }> {
  return deliverAdminNotice(
    {
      lineUserId: input.lineUserId,
      texts: input.texts,
      deliveryId: adminPlanNoticeDeliveryId(input.auditId),
    },
    'plan change notice',
    { auditId: input.auditId },
  );
}
