import { deliverAdminNotice } from './support/admin-notice';

/**
 * Tells a user on LINE about an operator's point grant or take-back, ID
 * `admin-points-notice-<requestId>`, started by the grant (workflows/admin-adjust-points.ts) as
 * an abandoned child: the grant and the operator's answer do not wait on LINE, which may be down
 * for longer than the API waits. The push's retry key derives from the request ID, so a retried
 * delivery or a second start reaches the user once.
 */
export { adminPointsNoticeWorkflowId } from './support/ids';

export interface AdminPointsNoticeInput {
  requestId: string;
  lineUserId: string;
  text: string;
}

/** The delivery ID of a grant's notice (LINE's X-Line-Retry-Key derives from it). */
export const adminPointsNoticeDeliveryId = (requestId: string) => `admin-points:${requestId}`;

export async function adminPointsNotice(
  input: AdminPointsNoticeInput,
): Promise<{ notified: boolean }> {
  return deliverAdminNotice(
    {
      lineUserId: input.lineUserId,
      texts: [input.text],
      deliveryId: adminPointsNoticeDeliveryId(input.requestId),
    },
    'admin points notice',
    { requestId: input.requestId },
  );
}
