import { ActivityFailure, log } from '@temporalio/workflow';
import { PHOTO_EXPIRED_TEXT } from '../domain/stamp-texts';
import { stampProxies } from './stamp-proxies';

/**
 * A pending stamp photo's deadline, run by the LINE session that remembers the photo (not a
 * workflow: the session calls it when its timer fires). A photo still awaiting messages becomes
 * `expired`, its upload is deleted and the user is told; a photo used, cancelled or replaced
 * meanwhile is left alone. A step that gives up is logged: the session must go on.
 */
export async function expirePendingPhoto(lineUserId: string, queueId: string): Promise<void> {
  const { db, line } = stampProxies();
  try {
    const { expired } = await db.expireStampPhoto({ queueId });
    if (!expired) return;
    await line.deliverMessages({
      lineUserId,
      texts: [PHOTO_EXPIRED_TEXT],
      // The delivery ID the former timer workflow used, so a photo is never announced twice.
      deliveryId: `stamp-expired-${queueId}`,
    });
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    log.warn('stamp photo expiry gave up', { queueId, activity: err.activityType });
  }
}
