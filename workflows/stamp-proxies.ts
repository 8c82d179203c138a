import { getExternalWorkflowHandle, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { messagingApi } from '@line/bot-sdk';
import type { RetryPolicy } from '@temporalio/common';
import type { LineMessagingActivities } from '../activities/line-messaging';
import type { StampIntakeActivities } from '../activities/stamp-intake';
import type { StampJobActivities } from '../activities/stamp-job';
import type { LineInboundEvent } from '../domain/line-events';
import { STAMP_PERMANENT_TYPES } from '../domain/stamp-failures';
import { LINE_REPLY_OPTIONS, RETRY_UNTIL_BACK } from './support/activity-options';
import { stampPhotoExpiryWorkflowId } from './support/ids';
import { stampTaskQueue } from './support/task-queues';

/**
 * Activity proxies shared by the stamp workflows (not a workflow itself). The LINE session
 * starts the intake workflows (photo, texts, cancel) as children on the stamp task queue, and
 * they start the job and the expiry timer there too, so every stamp workflow and its
 * activities run on the stamp queue. The queue's name is still derived from the running
 * workflow's own (workflows cannot read TASK_QUEUE_PREFIX), so the proxies are made inside the
 * workflow.
 */

/** Both stamp activity families: they are registered together on the stamp task queue. */
type StampActivities = StampIntakeActivities & StampJobActivities;

/**
 * Patch: a pending photo's expiry is the LINE session's own timer (workflows/line-user-session)
 * instead of a separate `stampPhotoExpiry` workflow cancelled through an external handle.
 * Histories recorded before it replay the old commands (start the timer workflow, cancel it).
 */
export const PHOTO_EXPIRY_IN_SESSION = 'photo-expiry-in-session';

/**
 * Patch: the photo's acknowledgement offers the four looks as quick-reply buttons, and a look
 * chosen while the photo waits is answered with a preview sheet (previewStampStyle) instead of
 * being taken as sticker texts (issue #15). Histories from before send plain texts.
 */
export const STAMP_STYLE_CHOICE = 'stamp-style-choice';

const retry: RetryPolicy = {
  ...RETRY_UNTIL_BACK,
  nonRetryableErrorTypes: [...STAMP_PERMANENT_TYPES],
};

export function stampProxies() {
  const taskQueue = stampTaskQueue();
  return {
    taskQueue,
    /**
     * Database steps: quick, retried for minutes. Every step below is bounded by time, not by
     * a count of attempts (issue #13: five attempts rode out an S3 or database outage of only
     * about 15 s): with backoff 1 s → 30 s, a transient outage of several minutes costs the
     * user a wait, not the sticker set. Permanent failures (STAMP_PERMANENT_TYPES) stop at once.
     */
    db: proxyActivities<StampActivities>({
      taskQueue,
      startToCloseTimeout: '30 seconds',
      scheduleToCloseTimeout: '10 minutes',
      retry,
    }),
    /** Downloads, image decoding and S3 writes of one photo. */
    intake: proxyActivities<StampActivities>({
      taskQueue,
      startToCloseTimeout: '90 seconds',
      scheduleToCloseTimeout: '10 minutes',
      retry,
    }),
    /** Rendering: heartbeats after every sticker, so a dead worker is noticed within seconds. */
    render: proxyActivities<StampActivities>({
      taskQueue,
      startToCloseTimeout: '5 minutes',
      heartbeatTimeout: '10 seconds',
      scheduleToCloseTimeout: '20 minutes',
      retry,
    }),
    /** Steps that must happen once the work is done (record, refund): retried until they do. */
    mustFinish: proxyActivities<StampActivities>({
      taskQueue,
      startToCloseTimeout: '60 seconds',
      heartbeatTimeout: '20 seconds',
      retry: { ...retry, nonRetryableErrorTypes: ['QUEUE_NOT_FOUND'] },
    }),
    line: proxyActivities<LineMessagingActivities>({ ...LINE_REPLY_OPTIONS, taskQueue }),
  };
}

/**
 * Only for histories from before PHOTO_EXPIRY_IN_SESSION: the photo is used, its expiry timer
 * workflow is cancelled (the deprecated type in stamp-photo-expiry.ts; the command must still replay).
 */
export async function stopExpiryTimer(queueId: string): Promise<void> {
  try {
    await getExternalWorkflowHandle(stampPhotoExpiryWorkflowId(queueId)).cancel();
  } catch {
    // Already finished (or never started): nothing to stop.
  }
}

/**
 * Answers the event with LINE message objects (quick replies, images) the activities built, as
 * support/reply.ts answers with texts: reply token while young, else push; one delivery per
 * workflow.
 */
export function replyWithMessages(
  line: Pick<LineMessagingActivities, 'deliverMessages'>,
  event: Pick<LineInboundEvent, 'lineUserId' | 'timestamp'> & { replyToken?: string },
  messages: messagingApi.Message[],
) {
  return line.deliverMessages({
    lineUserId: event.lineUserId,
    texts: [],
    messages,
    replyToken: event.replyToken,
    eventTimestamp: event.timestamp,
    deliveryId: workflowInfo().workflowId,
  });
}
