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
import type { ChatActivities } from '../activities/chat';
import type { LineEventActivities } from '../activities/line-events';
import type { LineNativeActivities } from '../activities/line-native';
import { parsePostbackData } from '../domain/line-ui/postback';
import { chatTurn, type ChatTurnInput } from './chat-turn';
import { runChatTurn } from './chat-turn-steps';
import { lineFollow } from './line-follow';
import { stampPhotoCancel } from './stamp-photo-cancel';
import { expirePendingPhoto } from './stamp-photo-deadline';
import { stampPhotoIntake } from './stamp-photo-intake';
import { PHOTO_EXPIRY_IN_SESSION } from './stamp-proxies';
import { stampTextsIntake } from './stamp-texts-intake';
import { VOICE_MESSAGES, voiceTurnOf } from './support/voice';
import {
  CHAT_STEP_OPTIONS,
  SESSION_BUSY_REPLY_OPTIONS,
  SESSION_CLAIM_OPTIONS,
} from './support/activity-options';
import { applicationFailureOf } from './support/failures';
import { chatTurnId, eventChildWorkflowId } from './support/ids';
import { stampTaskQueue } from './support/task-queues';
import {
  BUSY_REPLY_BATCH,
  DEFAULT_WAITING_LIMITS,
  eventBytes,
  isRefusable,
  MAX_REFUSED_KEPT,
  refusedRef,
  type RefusedEventRef,
  type WaitingLimits,
} from './support/waiting';

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
  /** Events beyond the waiting caps, still owed their busy reply (since BOUNDED_WAITING). */
  refused?: RefusedEventRef[];
  /** The caps this session read from config/catalog.json when it started. */
  limits?: WaitingLimits;
}

/**
 * Patch: each chat turn is its own child workflow `chat-<webhookEventId>` (workflows/chat-turn)
 * instead of local activities inside the session. Runs from before keep the inline turn.
 */
export const CHAT_TURN_CHILD_WORKFLOW = 'chat-turn-child-workflow';
/**
 * Patch: waiting messages capped (count and bytes); beyond the caps an event is kept as a small
 * reference and answered with the busy reply (workflows/support/waiting.ts).
 */
export const BOUNDED_WAITING = 'bounded-waiting-messages';
/**
 * Patch: postbacks, stickers and video/audio/location/file messages get an answer (issue #14).
 * Runs from before never held such events (the webhook ignored them), so this guards only a
 * worker rolled back mid-deploy from meeting commands it never issued.
 */
export const LINE_NATIVE_EVENTS = 'line-native-events';
/**
 * Patch: 「マイスタンプ」 and 「プラン管理」 are commands. In runs from before they were text (a
 * chat turn, or a waiting photo's sticker texts), and must replay as such.
 */
export const MY_STAMPS_AND_PLAN_COMMANDS = 'commands-my-stamps-manage-plan';
const LATER_COMMANDS: ReadonlySet<string> = new Set(['myStamps', 'managePlan']);
/**
 * Patch: 「検索 …」 / `search …` is a web search, answered by a chat turn on the plan's search
 * tier (the turn's tier override). In runs from before it was text, and must replay as such.
 */
export const SEARCH_COMMAND = 'command-search';
const SEARCH_COMMANDS: ReadonlySet<string> = new Set(['search']);

/** The text's command, as the run's code version knew commands. */
function commandOf(text: string) {
  const command = parseCommand(text);
  if (command && LATER_COMMANDS.has(command.kind) && !patched(MY_STAMPS_AND_PLAN_COMMANDS))
    return undefined;
  if (command && SEARCH_COMMANDS.has(command.kind) && !patched(SEARCH_COMMAND)) return undefined;
  return command;
}

/** A chat turn's own workflow may run this long (its steps' bounds add up to well under it). */
const CHAT_TURN_RUN_TIMEOUT = '1 hour';

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

/** Claims are database writes of a few milliseconds: local, retried while the database is away. */
const events = proxyLocalActivities<LineEventActivities>(SESSION_CLAIM_OPTIONS);
const settings = proxyLocalActivities<ChatActivities>(CHAT_STEP_OPTIONS);
const busy = proxyLocalActivities<ChatActivities>(SESSION_BUSY_REPLY_OPTIONS);
/** Free answers without a turn: bounded like the busy reply (a reply, else a push). */
const native = proxyLocalActivities<LineNativeActivities>(SESSION_BUSY_REPLY_OPTIONS);

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
  const seenSet = new Set(seen);
  let stampPhoto = state.stampPhoto;
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
    if (event.lineUserId !== lineUserId || seenSet.has(event.webhookEventId)) return;
    seenSet.add(event.webhookEventId);
    seen.push(event.webhookEventId);
    while (seen.length > SEEN_LIMIT) seenSet.delete(seen.shift() as string);
    wait(event);
  });
  setHandler(pendingEventsQuery, () => pending.length);

  let refusing = false;
  const refusalsDone = () => refused.length === 0 && !refusing;
  if (bounded) {
    if (!state.limits) limits = await readLimits(limits);
    void answerRefused();
  }
  /** The busy replies, sent while the current turn runs. */
  async function answerRefused(): Promise<never> {
    for (;;) {
      await condition(() => refused.length > 0);
      refusing = true;
      const refs = refused.splice(0, BUSY_REPLY_BATCH);
      try {
        await busy.refuseWhileBusy({ refs });
      } catch (err) {
        log.error('busy replies gave up', { count: refs.length, errorType: typeOf(err) });
      } finally {
        refusing = false;
      }
    }
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
    // The run as it started: an operator's Reset gives the execution a new run ID but keeps
    // this one, so the reset run may still answer the events its predecessor had claimed.
    const { workflowId, originalExecutionRunId } = workflowInfo();
    let claimed = false;
    try {
      ({ claimed } = await events.claimLineEvent({
        webhookEventId: event.webhookEventId,
        eventType: event.type,
        workflowId,
        runId: originalExecutionRunId,
      }));
    } catch (err) {
      // Bounded (the database away for 10 minutes, or the event refused): the session goes on.
      if (!(err instanceof ActivityFailure)) throw err;
      log.error('event claim gave up; event not handled', {
        webhookEventId: event.webhookEventId,
        errorType: typeOf(err),
      });
    }
    if (claimed) stampPhoto = await handleEvent(event, stampPhoto);
  }
}

/** The waiting caps from config/catalog.json; the defaults if the database is away. */
async function readLimits(fallback: WaitingLimits): Promise<WaitingLimits> {
  try {
    return await settings.sessionLimits();
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    return fallback;
  }
}

function typeOf(err: unknown): string {
  return applicationFailureOf(err)?.type ?? (err as Error)?.name ?? 'Error';
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
    case 'sticker':
    case 'unsupported': {
      // A voice message is a chat turn that transcribes it first (workflows/support/voice.ts).
      const voice = voiceTurnOf(event);
      if (voice && patched(VOICE_MESSAGES)) {
        await runChild(chatTurn, chatTurnId(id), 'chat', [voice], event.lineUserId, undefined, {
          staticSummary: 'chat turn: voice message',
          workflowRunTimeout: CHAT_TURN_RUN_TIMEOUT,
        });
        return stampPhoto;
      }
      if (patched(LINE_NATIVE_EVENTS)) await answerWithoutTurn(event);
      return stampPhoto;
    }
    case 'postback': {
      // A tap on the bot's own button is a command, answered by a chat turn like a typed one.
      const pick = parsePostbackData(event.data);
      if (!pick) {
        log.info('postback not understood; ignored', { webhookEventId: id });
        return stampPhoto;
      }
      if (!patched(LINE_NATIVE_EVENTS)) return stampPhoto;
      const input: ChatTurnInput = {
        event: {
          type: 'text',
          webhookEventId: id,
          lineUserId: event.lineUserId,
          timestamp: event.timestamp,
          isRedelivery: event.isRedelivery,
          ...(event.replyToken ? { replyToken: event.replyToken } : {}),
          text: '',
          messageId: '',
        },
        command: { kind: 'buy', productId: pick.productId },
      };
      await runChild(chatTurn, chatTurnId(id), 'chat', [input], event.lineUserId, undefined, {
        staticSummary: chatTurnSummary(input),
        workflowRunTimeout: CHAT_TURN_RUN_TIMEOUT,
      });
      return stampPhoto;
    }
    case 'text': {
      const command = commandOf(event.text);
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
      if (patched(CHAT_TURN_CHILD_WORKFLOW)) {
        // A search is the model's (a charged turn on the search tier), never runCommand's.
        const input: ChatTurnInput =
          command?.kind === 'search'
            ? { event, tierOverride: { tier: 'search', question: command.question } }
            : { event, ...(command ? { command } : {}) };
        const result = await runChild(
          chatTurn,
          chatTurnId(id),
          'chat',
          [input],
          event.lineUserId,
          undefined,
          { staticSummary: chatTurnSummary(input), workflowRunTimeout: CHAT_TURN_RUN_TIMEOUT },
        );
        if (!result) log.warn('chat turn ended without a result', { webhookEventId: id });
        return stampPhoto;
      }
      // deprecated: remove with deprecatePatch(CHAT_TURN_CHILD_WORKFLOW) once no pre-patch run
      // is open. The turn inline, as runs from before recorded it.
      try {
        // Never a search here: a run this old parses 「検索 …」 as text (SEARCH_COMMAND).
        await runChatTurn(event, command?.kind === 'search' ? undefined : command);
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

/** A sticker's or an unsupported message's free answer; a failed one is logged, the session goes on. */
async function answerWithoutTurn(
  event: Extract<LineInboundEvent, { type: 'sticker' | 'unsupported' }>,
): Promise<void> {
  try {
    await native.answerWithoutTurn({
      kind: event.type,
      webhookEventId: event.webhookEventId,
      lineUserId: event.lineUserId,
      ...(event.replyToken ? { replyToken: event.replyToken } : {}),
      timestamp: event.timestamp,
    });
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    log.warn('free answer gave up', {
      webhookEventId: event.webhookEventId,
      errorType: typeOf(err),
    });
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
  extra: Pick<ChildWorkflowOptions, 'staticSummary' | 'workflowRunTimeout'> = {},
): Promise<Awaited<ReturnType<W>> | undefined> {
  try {
    const options = {
      ...extra,
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

/** The turn's one-line summary in the session's history and the workflow list (no user text). */
function chatTurnSummary(input: ChatTurnInput): string {
  if (input.command) return `chat turn: command ${input.command.kind}`;
  if (input.tierOverride)
    return `chat turn: ${input.tierOverride.tier} of ${Array.from(input.tierOverride.question).length} characters`;
  return `chat turn: text of ${Array.from(input.event.text).length} characters`;
}
