import {
  ActivityFailure,
  allHandlersFinished,
  type ChildWorkflowOptions,
  ChildWorkflowFailure,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  executeChild,
  log,
  ParentClosePolicy,
  patched,
  proxyLocalActivities,
  setHandler,
  WorkflowIdReusePolicy,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Workflow } from '@temporalio/common';
import { workSearchAttributes, type WorkKind } from '../config/task-queues';
import { parseCommand } from '../domain/commands';
import type { LineInboundEvent } from '../domain/line-events';
import type { LineEventActivities } from '../activities/line-events';
import { chatTurn } from './chat-turn';
import { lineFollow } from './line-follow';
import { stampPhotoCancel } from './stamp-photo-cancel';
import { expirePendingPhoto } from './stamp-photo-deadline';
import { stampPhotoIntake } from './stamp-photo-intake';
import { PHOTO_EXPIRY_IN_SESSION } from './stamp-proxies';
import { stampTextsIntake } from './stamp-texts-intake';
import { local, UNTIL_BACK_OPTIONS } from './support/activity-options';
import { eventChildWorkflowId } from './support/ids';
import { stampTaskQueue } from './support/task-queues';

export const lineEventSignal = defineSignal<[LineInboundEvent]>('lineEvent');
export const pendingEventsQuery = defineQuery<number>('pendingEvents');

/** A stamp photo waiting for its sticker texts: the user's next text message supplies them. */
export interface PendingStampPhoto {
  queueId: string;
  /** ISO 8601 */
  expiresAt: string;
}

export interface LineUserSessionState {
  pending: LineInboundEvent[];
  /** Recently seen webhookEventIds, newest last; bounded so history stays small. */
  seen: string[];
  stampPhoto?: PendingStampPhoto;
}

/** How many event IDs the session remembers itself; older redeliveries meet their claim. */
const SEEN_LIMIT = 500;
/** A session with nothing to do ends; the next event starts a new one (signal-with-start). */
const IDLE_TIMEOUT_MS = 10 * 60 * 1000;
/** Events handled before continuing as new, well under Temporal's history limits. */
const EVENTS_PER_RUN = 200;

/** The session's workflow task timeout (set by the webhook's signal-with-start). */
export const SESSION_TASK_TIMEOUT = '10 seconds';

// Callers outside workflows/ (the /dev simulator) still import it from here.
export { sessionWorkflowId } from './support/ids';

/** Claims are database writes of a few milliseconds: local, retried until the database is back. */
const events = proxyLocalActivities<LineEventActivities>(local(UNTIL_BACK_OPTIONS));

/**
 * One entity workflow per LINE user, fed by signal-with-start from the webhook. It answers the
 * user's events strictly in arrival order, one at a time, so each chat turn sees the history of
 * the one before. Chat turns run right here (workflows/chat-turn.ts: local activities, no child
 * workflow), which keeps a turn's trips through the Temporal server to the one signal; follow,
 * unfollow and sticker events run as child workflows named after the event.
 *
 * Redeliveries are dropped twice over: by the seen-ID set here, and by the event's claim in
 * processed_events, which only the run that claimed it first may pass (activities/line-events).
 *
 * It also remembers a stamp photo waiting for its texts, so that the next text message goes to
 * the sticker intake instead of the chat (commands other than "cancel" still work meanwhile),
 * and keeps the photo's deadline: the session alone expires it (workflows/stamp-photo-deadline).
 */
export async function lineUserSession(
  lineUserId: string,
  state: LineUserSessionState = { pending: [], seen: [] },
): Promise<void> {
  const pending = [...state.pending];
  const seen = [...state.seen];
  const seenSet = new Set(seen);
  let stampPhoto = state.stampPhoto;

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
      await continueAsNew<typeof lineUserSession>(lineUserId, { pending, seen, stampPhoto });
    }
    let hasWork: boolean;
    if (patched(PHOTO_EXPIRY_IN_SESSION)) {
      // A waiting stamp photo's deadline is this session's timer: it wakes then, expires the
      // photo and tells the user; otherwise it ends when idle.
      if (stampPhoto && Date.parse(stampPhoto.expiresAt) <= Date.now()) {
        await expirePendingPhoto(lineUserId, stampPhoto.queueId);
        stampPhoto = undefined;
      }
      const wait = stampPhoto ? Date.parse(stampPhoto.expiresAt) - Date.now() : IDLE_TIMEOUT_MS;
      hasWork = await condition(() => pending.length > 0, wait);
    } else {
      // Histories from before: a separate timer workflow expired the photo; the session only
      // stayed around until then.
      const photoMs = stampPhoto ? Date.parse(stampPhoto.expiresAt) - Date.now() : 0;
      hasWork = await condition(() => pending.length > 0, Math.max(IDLE_TIMEOUT_MS, photoMs));
      if (stampPhoto && Date.parse(stampPhoto.expiresAt) <= Date.now()) stampPhoto = undefined;
    }
    if (!hasWork) {
      if (stampPhoto) continue;
      return;
    }
    const event = pending.shift() as LineInboundEvent;
    // The run as it started: an operator's Reset gives the execution a new run ID but keeps
    // this one, so the reset run may still answer the events its predecessor had claimed.
    const { workflowId, originalExecutionRunId } = workflowInfo();
    const { claimed } = await events.claimLineEvent({
      webhookEventId: event.webhookEventId,
      eventType: event.type,
      workflowId,
      runId: originalExecutionRunId,
    });
    if (claimed) stampPhoto = await handleEvent(event, stampPhoto);
  }
}

/** Runs one event (a chat turn here, the rest as child workflows); returns the stamp photo still pending afterwards. */
async function handleEvent(
  event: LineInboundEvent,
  stampPhoto: PendingStampPhoto | undefined,
): Promise<PendingStampPhoto | undefined> {
  const id = event.webhookEventId;
  switch (event.type) {
    case 'follow':
    case 'unfollow':
      await runChild(
        lineFollow,
        eventChildWorkflowId(event.type, id),
        event.type,
        [event],
        event.lineUserId,
      );
      return stampPhoto;
    case 'image': {
      const result = await runChild(
        stampPhotoIntake,
        eventChildWorkflowId('stamp-photo', id),
        'stamp',
        [event],
        event.lineUserId,
        'stamp',
      );
      // A new photo replaces the one waiting (the intake marked the old one superseded).
      return result?.accepted
        ? { queueId: result.queueId, expiresAt: result.expiresAt }
        : stampPhoto;
    }
    case 'text': {
      const command = parseCommand(event.text);
      if (stampPhoto && command?.kind === 'cancel') {
        await runChild(
          stampPhotoCancel,
          eventChildWorkflowId('stamp-cancel', id),
          'stamp',
          [{ event, queueId: stampPhoto.queueId }],
          event.lineUserId,
          'stamp',
        );
        return undefined;
      }
      if (stampPhoto && !command) {
        const result = await runChild(
          stampTextsIntake,
          eventChildWorkflowId('stamp-texts', id),
          'stamp',
          [{ event, queueId: stampPhoto.queueId }],
          event.lineUserId,
          'stamp',
        );
        if (result?.reason !== 'NO_PENDING_PHOTO') return result?.pending ? stampPhoto : undefined;
        stampPhoto = undefined; // the photo was gone after all: this text is a chat message
      }
      try {
        await chatTurn(event, command);
      } catch (err) {
        // A step gave up even on its apology (LINE unreachable for minutes): the turn is over,
        // the session goes on with the next event.
        if (!(err instanceof ActivityFailure)) throw err;
        log.warn('chat turn gave up', { webhookEventId: id, activity: err.activityType });
      }
      return stampPhoto;
    }
  }
}

/**
 * Starts a child with a business ID and waits for it. A child that already ran (a redelivered
 * event after the session ended) is skipped; a child that failed has told the user itself.
 */
async function runChild<W extends Workflow>(
  workflow: W,
  workflowId: string,
  kind: WorkKind,
  args: Parameters<W>,
  lineUserId: string,
  queue?: 'stamp',
): Promise<Awaited<ReturnType<W>> | undefined> {
  try {
    const options = {
      workflowId,
      args: args as unknown[],
      ...(queue ? { taskQueue: stampTaskQueue() } : {}),
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      // A turn already started keeps going even if this session continues as new.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      typedSearchAttributes: workSearchAttributes(lineUserId, kind),
    } satisfies ChildWorkflowOptions & { args: unknown[] };
    // By type name: the typed overloads do not resolve for a generic workflow parameter.
    return (await executeChild<Workflow>(workflow.name, options)) as Awaited<ReturnType<W>>;
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return undefined;
    if (err instanceof ChildWorkflowFailure) return undefined;
    throw err;
  }
}
