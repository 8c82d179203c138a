import { patched } from '@temporalio/workflow';
import type { LineInboundEvent } from '../domain/line-events';
import { NOTHING_TO_CANCEL_TEXT, PHOTO_CANCELLED_TEXT } from '../domain/stamp-texts';
import { PHOTO_EXPIRY_IN_SESSION, stampProxies, stopExpiryTimer } from './stamp-proxies';
import { replyToEvent } from './support/reply';

export interface StampPhotoCancelInput {
  /** The user's "cancel" text event (its reply token answers it). */
  event: Extract<LineInboundEvent, { type: 'text' }>;
  /** The pending photo; absent: the user's newest pending photo. */
  queueId?: string;
}

/**
 * The user cancels a pending stamp photo: the queue becomes `cancelled`, the photo is deleted,
 * the bot confirms (or says there was nothing to cancel). A job already running is not touched.
 */
export async function stampPhotoCancel(
  input: StampPhotoCancelInput,
): Promise<{ cancelled: boolean; queueId?: string }> {
  const { db, line } = stampProxies();
  const { event } = input;
  const result = await db.cancelStampPhoto({
    lineUserId: event.lineUserId,
    ...(input.queueId ? { queueId: input.queueId } : {}),
  });
  if (result.cancelled && result.queueId && !patched(PHOTO_EXPIRY_IN_SESSION)) {
    await stopExpiryTimer(result.queueId); // only histories from before the session kept it
  }
  await replyToEvent(line, event, [
    result.cancelled ? PHOTO_CANCELLED_TEXT : NOTHING_TO_CANCEL_TEXT,
  ]);
  return result;
}
