import { getExternalWorkflowHandle, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { RetryPolicy } from '@temporalio/common';
import type { LineMessagingActivities } from '../activities/line-messaging';
import type { StampActivities } from '../activities/stamps';
import { TaskQueues } from '../config/task-queues';
import { STAMP_PERMANENT_TYPES } from '../domain/stamp-failures';
import { stampPhotoExpiryWorkflowId } from '../domain/stamp-keys';
import { siblingTaskQueue } from '../domain/stamp-task-queue';

/**
 * Activity proxies shared by the stamp workflows (not a workflow itself). Stamp activities run
 * on the stamp task queue even when the calling workflow runs elsewhere (the LINE session runs
 * the intake workflows on the chat queue), so the proxies are made inside the workflow, from
 * its own task queue name.
 */

const retry: RetryPolicy = {
  initialInterval: '1 second',
  maximumInterval: '30 seconds',
  nonRetryableErrorTypes: [...STAMP_PERMANENT_TYPES],
};

export function stampTaskQueue(): string {
  return siblingTaskQueue(workflowInfo().taskQueue, TaskQueues.stamp);
}

export function stampProxies() {
  const taskQueue = stampTaskQueue();
  return {
    taskQueue,
    /** Database steps: quick, retried for a while. */
    db: proxyActivities<StampActivities>({
      taskQueue,
      startToCloseTimeout: '30 seconds',
      retry: { ...retry, maximumAttempts: 10 },
    }),
    /** Downloads, image decoding and S3 writes of one photo. */
    intake: proxyActivities<StampActivities>({
      taskQueue,
      startToCloseTimeout: '90 seconds',
      retry: { ...retry, maximumAttempts: 5 },
    }),
    /** Rendering: heartbeats after every sticker, so a dead worker is noticed within seconds. */
    render: proxyActivities<StampActivities>({
      taskQueue,
      startToCloseTimeout: '5 minutes',
      heartbeatTimeout: '10 seconds',
      retry: { ...retry, maximumAttempts: 5 },
    }),
    /** Steps that must happen once the work is done (record, refund): retried until they do. */
    mustFinish: proxyActivities<StampActivities>({
      taskQueue,
      startToCloseTimeout: '60 seconds',
      heartbeatTimeout: '20 seconds',
      retry: { ...retry, nonRetryableErrorTypes: ['QUEUE_NOT_FOUND'] },
    }),
    line: proxyActivities<LineMessagingActivities>({
      taskQueue,
      startToCloseTimeout: '30 seconds',
      retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 20 },
    }),
  };
}

/** The photo is used: its expiry timer has nothing left to do (and would linger for 30 min). */
export async function stopExpiryTimer(queueId: string): Promise<void> {
  try {
    await getExternalWorkflowHandle(stampPhotoExpiryWorkflowId(queueId)).cancel();
  } catch {
    // Already finished (or never started): nothing to stop.
  }
}
