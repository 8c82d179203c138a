import { sleep } from '@temporalio/workflow';
import { PHOTO_EXPIRED_TEXT } from '../domain/stamp-texts';
import { stampProxies } from './stamp-proxies';

export interface StampPhotoExpiryInput {
  queueId: string;
  /** ISO 8601 */
  expiresAt: string;
  lineUserId: string;
}

/**
 * Timer for a pending stamp photo (started, and abandoned, by stampPhotoIntake): at
 * `expiresAt`, a photo still awaiting messages becomes `expired`, its upload is deleted and the
 * user is told. A photo that was used, cancelled or replaced meanwhile is left alone.
 */
export async function stampPhotoExpiry(
  input: StampPhotoExpiryInput,
): Promise<{ expired: boolean }> {
  const { db, line } = stampProxies();
  const wait = Date.parse(input.expiresAt) - Date.now();
  if (wait > 0) await sleep(wait);
  const { expired } = await db.expireStampPhoto({ queueId: input.queueId });
  if (expired) {
    await line.deliverMessages({
      lineUserId: input.lineUserId,
      texts: [PHOTO_EXPIRED_TEXT],
      deliveryId: `stamp-expired-${input.queueId}`,
    });
  }
  return { expired };
}
