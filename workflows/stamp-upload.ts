import {
  CancellationScope,
  ParentClosePolicy,
  startChild,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { workSearchAttributes } from '../config/task-queues';
import { stampJobWorkflowId } from '../domain/stamp-keys';
import type { StampMode } from '../domain/sticker-set-rules';
import type { StickerStyle } from '../domain/sticker-style';
import { stampJob } from './stamp-job';
import { stampProxies } from './stamp-proxies';

export interface StampUploadInput {
  /** The new queue row's ID; the API parked the photo at its upload key. */
  queueId: string;
  userId: string;
  lineUserId: string;
  format: 'jpeg' | 'png' | 'webp';
  /** Validated, normalised messages (order_priority = index + 1). */
  messages: string[];
  deliver: 'line' | 'none';
  /** The validated look; absent (uploads recorded before styles): the card. */
  style?: StickerStyle;
  /** The set rules the API checked the messages against; absent: personal. */
  mode?: StampMode;
}

/**
 * The HTTP stamp upload's effects (`POST /api/stamps`, ID `stamp-upload-<queueId>`): the API
 * verified and validated the request and parked the photo (a payload this size cannot travel
 * in a workflow input); this records the job (queue row `queued` and its messages) and starts
 * the stamp job (abandoned child `stamp-<queueId>`). The API awaits it to answer. When the job
 * cannot be recorded or started, the rows and the parked photo are removed before it fails.
 */
export async function stampUpload(input: StampUploadInput): Promise<{ jobWorkflowId: string }> {
  const { db, taskQueue } = stampProxies();
  const { queueId, userId, lineUserId } = input;
  const jobWorkflowId = stampJobWorkflowId(queueId);
  try {
    await db.recordStampUpload({
      queueId,
      userId,
      format: input.format,
      messages: input.messages,
      style: input.style,
      mode: input.mode,
    });
    await startChild(stampJob, {
      workflowId: jobWorkflowId,
      taskQueue,
      args: [{ queueId, lineUserId, deliver: input.deliver }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: workSearchAttributes(lineUserId, 'stamp'),
    });
  } catch (err) {
    // Started before (a retry of this step): the job runs once.
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { jobWorkflowId };
    await CancellationScope.nonCancellable(() => db.discardStampUpload({ queueId, userId }));
    throw err;
  }
  return { jobWorkflowId };
}
