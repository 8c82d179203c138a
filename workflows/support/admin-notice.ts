import { log, proxyActivities } from '@temporalio/workflow';
import type { LineMessagingActivities } from '../../activities/line-messaging';
import { LINE_NOTICE_OPTIONS } from './activity-options';

const line = proxyActivities<LineMessagingActivities>(LINE_NOTICE_OPTIONS);

/**
 * An operator's change told to the user on LINE (workflows/admin-points-notice.ts,
 * admin-plan-notice.ts). The push's retry key derives from `deliveryId`, so a retried delivery or
 * a second start reaches the user once. The change stands even if the user blocked the account:
 * a delivery that gives up is logged (no text) and reported as not notified.
 */
export async function deliverAdminNotice(
  notice: { lineUserId: string; texts: string[]; deliveryId: string },
  what: string,
  ids: Record<string, string>,
): Promise<{ notified: boolean }> {
  try {
    await line.deliverMessages(notice);
    return { notified: true };
  } catch (err) {
    log.warn(`${what} not delivered`, { ...ids, error: String(err) });
    return { notified: false };
  }
}
