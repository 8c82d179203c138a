import { randomUUID } from 'node:crypto';
import { TaskQueues, workSearchAttributes } from '../../config/task-queues';
import type { LineInboundEvent } from '../../domain/line-events';
import {
  lineEventSignal,
  lineUserSession,
  SESSION_TASK_TIMEOUT,
  sessionWorkflowId,
} from '../../workflows/line-user-session';
import type { ChatHarness } from './chat-harness';
import { queueOf } from './workers';

export type TextEvent = Extract<LineInboundEvent, { type: 'text' }>;

/**
 * A text event signalled straight to the user's session, as the webhook's relay does, but past
 * intake's sanitising: so a test can make a deeper step meet what intake would have removed.
 */
export async function signalText(
  h: ChatHarness,
  lineUserId: string,
  text: string,
): Promise<TextEvent> {
  const event: TextEvent = {
    type: 'text',
    webhookEventId: randomUUID().replace(/-/g, '').slice(0, 26).toUpperCase(),
    lineUserId,
    timestamp: Date.now(),
    isRedelivery: false,
    replyToken: h.line.issueReplyToken({ userId: lineUserId }),
    text,
    messageId: String(Date.now()) + String(Math.floor(Math.random() * 1e6)),
  };
  await h.temporal.workflow.signalWithStart(lineUserSession, {
    workflowId: sessionWorkflowId(lineUserId),
    taskQueue: queueOf(h.config, TaskQueues.chat),
    args: [lineUserId],
    signal: lineEventSignal,
    signalArgs: [event],
    typedSearchAttributes: workSearchAttributes(lineUserId, 'session'),
    workflowTaskTimeout: SESSION_TASK_TIMEOUT,
  });
  return event;
}
