import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  executeChild,
  ParentClosePolicy,
  setHandler,
  WorkflowIdReusePolicy,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { LineInboundEvent } from '../domain/line-events';
import { workSearchAttributes } from '../config/task-queues';
import { chatTurn } from './chat-turn';
import { lineFollow } from './line-follow';

export const lineEventSignal = defineSignal<[LineInboundEvent]>('lineEvent');
export const pendingEventsQuery = defineQuery<number>('pendingEvents');

export interface LineUserSessionState {
  pending: LineInboundEvent[];
  /** Recently seen webhookEventIds, newest last; bounded so history stays small. */
  seen: string[];
}

/** How many event IDs the session remembers itself; older redeliveries hit the child-ID check. */
const SEEN_LIMIT = 500;
/** A session with nothing to do ends; the next event starts a new one (signal-with-start). */
const IDLE_TIMEOUT = '10 minutes';
/** Events handled before continuing as new, well under Temporal's history limits. */
const EVENTS_PER_RUN = 200;

export function sessionWorkflowId(lineUserId: string): string {
  return `line-user-${lineUserId}`;
}

/**
 * One entity workflow per LINE user, fed by signal-with-start from the webhook. It answers the
 * user's events strictly in arrival order, one at a time, so each chat turn sees the history of
 * the one before. Redeliveries are dropped twice over: by the seen-ID set here, and because each
 * event's child workflow ID is derived from its webhookEventId and may never run twice.
 */
export async function lineUserSession(
  lineUserId: string,
  state: LineUserSessionState = { pending: [], seen: [] },
): Promise<void> {
  const pending = [...state.pending];
  const seen = [...state.seen];
  const seenSet = new Set(seen);

  setHandler(lineEventSignal, (event) => {
    if (event.lineUserId !== lineUserId || seenSet.has(event.webhookEventId)) return;
    seenSet.add(event.webhookEventId);
    seen.push(event.webhookEventId);
    while (seen.length > SEEN_LIMIT) seenSet.delete(seen.shift() as string);
    pending.push(event);
  });
  setHandler(pendingEventsQuery, () => pending.length);

  for (let handled = 0; ; handled++) {
    if (handled >= EVENTS_PER_RUN || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof lineUserSession>(lineUserId, { pending, seen });
    }
    const hasWork = await condition(() => pending.length > 0, IDLE_TIMEOUT);
    if (!hasWork) return;
    const event = pending.shift() as LineInboundEvent;
    await handleEvent(event);
  }
}

async function handleEvent(event: LineInboundEvent): Promise<void> {
  const childOptions = {
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    // A turn already started keeps going even if this session continues as new.
    parentClosePolicy: ParentClosePolicy.ABANDON,
    typedSearchAttributes: workSearchAttributes(
      event.lineUserId,
      event.type === 'text' ? 'chat' : event.type,
    ),
  };
  try {
    switch (event.type) {
      case 'text':
        await executeChild(chatTurn, {
          ...childOptions,
          workflowId: `chat-${event.webhookEventId}`,
          args: [event],
        });
        return;
      case 'image':
        await executeChild(chatTurn, {
          ...childOptions,
          workflowId: `image-${event.webhookEventId}`,
          args: [event],
        });
        return;
      case 'follow':
      case 'unfollow':
        await executeChild(lineFollow, {
          ...childOptions,
          workflowId: `${event.type}-${event.webhookEventId}`,
          args: [event],
        });
        return;
    }
  } catch (err) {
    // Already handled in an earlier session run: a redelivery, nothing to do.
    if (err instanceof WorkflowExecutionAlreadyStartedError) return;
    // A turn that failed has already apologised to the user; the session goes on.
    if (err instanceof ApplicationFailure || (err as Error).name === 'ChildWorkflowFailure') return;
    throw err;
  }
}
