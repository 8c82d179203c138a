import { sleep } from '@temporalio/workflow';
import { PHOTO_EXPIRED_TEXT } from '../domain/stamp-texts';
import { stampProxies } from './stamp-proxies';

/**
 * DEPRECATED (release abfd7f3 and before): a pending photo's expiry is now the LINE session's
 * own timer (workflows/stamp-photo-deadline.ts). The type stays registered so that timers
 * started before the deploy still finish on the new workers (and replay); delete it once
 * `WorkflowType='stampPhotoExpiry' AND ExecutionStatus='Running'` finds nothing (a photo
 * waits at most the catalog's photo expiry, so one release is enough).
 */
export interface StampPhotoExpiryInput {
  queueId: string;
  /** ISO 8601 */
  expiresAt: string;
  lineUserId: string;
}

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
