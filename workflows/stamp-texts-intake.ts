import {
  ParentClosePolicy,
  patched,
  startChild,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { workSearchAttributes } from '../config/task-queues';
import type { LineInboundEvent } from '../domain/line-events';
import { jobStartedText, PHOTO_EXPIRED_TEXT } from '../domain/stamp-texts';
import { stampJob } from './stamp-job';
import {
  PHOTO_EXPIRY_IN_SESSION,
  replyWithMessages,
  STAMP_STYLE_CHOICE,
  stampProxies,
  stopExpiryTimer,
} from './stamp-proxies';
import { replyToEvent } from './support/reply';

export type StampTextEvent = Extract<LineInboundEvent, { type: 'text' }>;

export interface StampTextsIntakeInput {
  event: StampTextEvent;
  /** The pending photo (from stampPhotoIntake); absent: the user's newest pending photo. */
  queueId?: string;
}

export interface StampTextsIntakeResult {
  /** The stamp job was started (or had been already, for this photo). */
  started: boolean;
  jobWorkflowId?: string;
  queueId?: string;
  /** The photo still waits for messages (bad input or no ticket: the user may try again). */
  pending: boolean;
  /**
   * Why nothing started: NO_PENDING_PHOTO (nothing was replied: treat the text as chat),
   * EXPIRED, INVALID_MESSAGES or NO_TICKET (the user got a reply saying so), STYLE_CHOSEN (the
   * text chose a look: the user got its preview, the photo waits for the texts).
   */
  reason?: 'NO_PENDING_PHOTO' | 'EXPIRED' | 'INVALID_MESSAGES' | 'NO_TICKET' | 'STYLE_CHOSEN';
}

/**
 * The text after a stamp photo: one sticker message per line. Valid messages (1..maxMessages,
 * each 1..maxMessageLength characters, all drawable by the sticker font) are stored with
 * `order_priority` = line order and the stamp job starts (`stamp-<queueId>`, abandoned child on
 * the stamp queue, delivering to LINE). Bad messages or no ticket: a reply with the reason, the
 * photo stays pending. No pending photo: nothing is replied and `reason: 'NO_PENDING_PHOTO'`.
 * Since STAMP_STYLE_CHOICE a one-line look choice (a quick-reply tap) stores the look and is
 * answered with the look's preview sheet; the texts that follow confirm it and spend the ticket.
 */
export async function stampTextsIntake(
  input: StampTextsIntakeInput,
): Promise<StampTextsIntakeResult> {
  const { event } = input;
  const { intake, line, taskQueue } = stampProxies();
  const reply = (texts: string[]) => replyToEvent(line, event, texts);

  const styleChoice = patched(STAMP_STYLE_CHOICE);
  const result = await intake.submitStampTexts({
    lineUserId: event.lineUserId,
    text: event.text,
    ...(input.queueId ? { queueId: input.queueId } : {}),
    ...(styleChoice ? { styleChoice } : {}),
  });
  switch (result.kind) {
    case 'no-pending':
      return { started: false, pending: false, reason: 'NO_PENDING_PHOTO' };
    case 'expired':
      await reply([PHOTO_EXPIRED_TEXT]);
      return { started: false, pending: false, queueId: result.queueId, reason: 'EXPIRED' };
    case 'rejected':
      await reply([result.reply]);
      return { started: false, pending: true, queueId: result.queueId, reason: 'INVALID_MESSAGES' };
    case 'no-ticket':
      await reply([result.reply]);
      return { started: false, pending: true, queueId: result.queueId, reason: 'NO_TICKET' };
    case 'style-chosen': {
      const preview = await intake.previewStampStyle({
        queueId: result.queueId,
        look: result.look,
      });
      await replyWithMessages(line, event, preview.messages);
      return { started: false, pending: true, queueId: result.queueId, reason: 'STYLE_CHOSEN' };
    }
    case 'queued':
      break;
  }
  try {
    await startChild(stampJob, {
      workflowId: result.jobWorkflowId,
      taskQueue,
      args: [{ queueId: result.queueId, lineUserId: event.lineUserId, deliver: 'line' }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: workSearchAttributes(event.lineUserId, 'stamp'),
    });
  } catch (err) {
    // Started before (a retry of this step): the job runs once.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  if (!patched(PHOTO_EXPIRY_IN_SESSION)) await stopExpiryTimer(result.queueId);
  await reply([jobStartedText(result.count)]);
  return {
    started: true,
    pending: false,
    jobWorkflowId: result.jobWorkflowId,
    queueId: result.queueId,
  };
}
