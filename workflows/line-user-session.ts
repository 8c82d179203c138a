import {
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  log,
  patched,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { LineInboundEvent } from '../domain/line-events';
import { expirePendingPhoto } from './stamp-photo-deadline';
import { PHOTO_EXPIRY_IN_SESSION } from './stamp-proxies';
import { BOUNDED_WAITING, handleEvent, type PendingStampPhoto } from './session-events';
import { askTurnToPushNow } from './chat-turn-collect';
import {
  claimEvent,
  EVENTS_PER_RUN,
  IDLE_TIMEOUT_MS,
  readWaitingLimits,
  seenEvents,
  startBusyReplies,
} from './support/session-queue';
import {
  DEFAULT_WAITING_LIMITS,
  eventBytes,
  isRefusable,
  MAX_REFUSED_KEPT,
  refusedRef,
  type RefusedEventRef,
  type WaitingLimits,
} from './support/waiting';

// The patches of the events' handling live with it; callers import them from here too.
export {
  BOUNDED_WAITING,
  CHAT_TURN_CHILD_WORKFLOW,
  LINE_NATIVE_EVENTS,
  MY_STAMPS_AND_PLAN_COMMANDS,
  SEARCH_COMMAND,
  type PendingStampPhoto,
} from './session-events';

export const lineEventSignal = defineSignal<[LineInboundEvent]>('lineEvent');
export const pendingEventsQuery = defineQuery<number>('pendingEvents');

export interface LineUserSessionState {
  pending: LineInboundEvent[];
  /** Recently seen webhookEventIds, newest last; bounded so history stays small. */
  seen: string[];
  stampPhoto?: PendingStampPhoto;
  /** Events beyond the waiting caps, still owed their busy reply (since BOUNDED_WAITING). */
  refused?: RefusedEventRef[];
  /** The caps this session read from config/catalog.json when it started. */
  limits?: WaitingLimits;
}

/** The session's workflow task timeout (set by the webhook's signal-with-start). */
export const SESSION_TASK_TIMEOUT = '10 seconds';

// Callers outside workflows/ (the /dev simulator) still import it from here.
export { sessionWorkflowId } from './support/ids';

/**
 * One entity workflow per LINE user, fed by signal-with-start from the webhook. It answers the
 * user's events strictly in arrival order, one at a time, so each chat turn sees the history of
 * the one before. Each event runs as a child workflow named after it: a chat turn as
 * `chat-<webhookEventId>` (workflows/chat-turn.ts, its steps local activities inside it), so an
 * operator can open the turn's own record; follow, unfollow and sticker events likewise.
 *
 * Floods are contained: at most `chat.maxWaitingMessages` messages (and `maxWaitingBytes` of
 * text) wait; beyond that an event is kept as a reference without text and answered with the
 * busy reply by a second loop, while the current turn runs (free: no points, no daily slot).
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
  const seenEvent = seenEvents(seen);
  let stampPhoto = state.stampPhoto;
  /** The event whose child runs now, until it has been asked to push (askTurnToPushNow). */
  let handling: LineInboundEvent | undefined;
  const bounded = patched(BOUNDED_WAITING);
  let limits = state.limits ?? DEFAULT_WAITING_LIMITS;
  const refused = [...(state.refused ?? [])];
  let pendingBytes = 0;
  const fits = (event: LineInboundEvent) =>
    !isRefusable(event) ||
    (pending.length < limits.maxWaitingMessages &&
      pendingBytes + eventBytes(event) <= limits.maxWaitingBytes);
  const wait = (event: LineInboundEvent) => {
    if (!bounded || fits(event)) {
      pending.push(event);
      pendingBytes += eventBytes(event);
    } else if (refused.length < MAX_REFUSED_KEPT) refused.push(refusedRef(event));
    else
      log.error('busy: too many refused events waiting; dropped', {
        webhookEventId: event.webhookEventId,
      });
  };
  if (bounded) {
    // A run carried over from before the caps may hold more than they allow.
    const carried = pending.splice(0);
    for (const event of carried) wait(event);
  }

  setHandler(lineEventSignal, (event) => {
    if (event.lineUserId !== lineUserId || !seenEvent.firstTime(event.webhookEventId)) return;
    wait(event);
    // A turn waiting for its 「回答を受け取る」 tap pushes now instead (chat-turn-collect.ts).
    if (handling && askTurnToPushNow(handling, event)) handling = undefined;
  });
  setHandler(pendingEventsQuery, () => pending.length);

  let refusalsDone = () => true;
  if (bounded) {
    if (!state.limits) limits = await readWaitingLimits(limits);
    refusalsDone = startBusyReplies(refused);
  }
  const take = (): LineInboundEvent => {
    const event = pending.shift() as LineInboundEvent;
    pendingBytes -= eventBytes(event);
    return event;
  };

  for (let handled = 0; ; handled++) {
    if (handled >= EVENTS_PER_RUN || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      if (bounded) {
        await condition(refusalsDone);
        await continueAsNew<typeof lineUserSession>(lineUserId, {
          pending,
          seen,
          stampPhoto,
          refused,
          limits,
        });
      }
      // deprecated: remove with deprecatePatch(BOUNDED_WAITING) once no pre-patch run is open.
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
      if (bounded) await condition(refusalsDone);
      return;
    }
    const event = take();
    const claimed = await claimEvent(event);
    if (claimed) {
      handling = event;
      stampPhoto = await handleEvent(event, stampPhoto, pending.length > 0);
      handling = undefined;
    }
  }
}
