import { log, proxyActivities } from '@temporalio/workflow';
import type { LineMessagingActivities } from '../activities/line-messaging';
import { LINE_NOTICE_OPTIONS } from './support/activity-options';

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

const line = proxyActivities<LineMessagingActivities>(LINE_NOTICE_OPTIONS);

/** The delivery ID of a grant's notice (LINE's X-Line-Retry-Key derives from it). */
export const adminPointsNoticeDeliveryId = (requestId: string) => `admin-points:${requestId}`;

export async function adminPointsNotice(
  input: AdminPointsNoticeInput,
): Promise<{ notified: boolean }> {
  try {
    await line.deliverMessages({
      lineUserId: input.lineUserId,
      texts: [input.text],
      deliveryId: adminPointsNoticeDeliveryId(input.requestId),
    });
    return { notified: true };
  } catch (err) {
    // The grant stands even if the user blocked the account.
    log.warn('admin points notice not delivered', {
      requestId: input.requestId,
      error: String(err),
    });
    return { notified: false };
  }
}
