import {
  ActivityFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  defineSignal,
  log,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { RefusedEventRef } from '../activities/chat';
import type { LineGroupActivities } from '../activities/line-groups';
import { parseCommand } from '../domain/commands';
import type { Conversation, LineInboundEvent, LineWebhookEvent } from '../domain/line-events';
import { chatTurn, type ChatTurnInput } from './chat-turn';
import { CHAT_TURN_RUN_TIMEOUT, chatTurnSummary, runChild } from './session-events';
import { SESSION_BUSY_REPLY_OPTIONS, SESSION_CLAIM_OPTIONS } from './support/activity-options';
import { failureTypeOf } from './support/failures';
import { chatTurnId } from './support/ids';
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
  MAX_REFUSED_KEPT,
  refusedRef,
  type WaitingLimits,
} from './support/waiting';

/** A group's or room's event: a member's text for the bot, or the bot joining or leaving. */
export const lineGroupEventSignal = defineSignal<[LineWebhookEvent]>('lineGroupEvent');

export interface LineGroupSessionState {
  pending: LineWebhookEvent[];
  /** Recently seen webhookEventIds, newest last; bounded. */
  seen: string[];
  /** Texts beyond the waiting caps, owed their busy reply (in the group). */
  refused?: RefusedEventRef[];
  limits?: WaitingLimits;
  /** The bot has left: texts still queued are not answered (their history is gone). */
  left?: boolean;
}

/** Join's greeting and the free answers: a reply, else a push; bounded like the busy reply. */
const answers = proxyLocalActivities<LineGroupActivities>(SESSION_BUSY_REPLY_OPTIONS);
/** Leave deletes the group's history: retried while the database is away, within 10 minutes. */
const records = proxyLocalActivities<LineGroupActivities>(SESSION_CLAIM_OPTIONS);

/**
 * One entity workflow per LINE group or room (`line-group-<groupId>`, `line-room-<roomId>`),
 * fed by signal-with-start from the inbox relay. Its members' questions are answered one at a
 * time in the group's order, each as an ordinary chat turn `chat-<webhookEventId>` charged to
 * the member who asked, so each turn sees the one before in the group's history.
 *
 * The same queue discipline as the user's session (workflows/line-user-session.ts): the seen-ID
 * set and the event's claim drop redeliveries, the waiting caps bound what it holds (the rest
 * gets the busy reply in the group), and it continues as new before its history grows large.
 */
export async function lineGroupSession(
  conversation: Conversation,
  state: LineGroupSessionState = { pending: [], seen: [] },
): Promise<void> {
  const pending = [...state.pending];
  const seen = [...state.seen];
  const seenEvent = seenEvents(seen);
  const refused = [...(state.refused ?? [])];
  let limits = state.limits ?? DEFAULT_WAITING_LIMITS;
  let left = state.left ?? false;
  let pendingBytes = pending.reduce((n, e) => n + bytesOf(e), 0);

  setHandler(lineGroupEventSignal, (event) => {
    if (event.conversation?.id !== conversation.id) return;
    if (!seenEvent.firstTime(event.webhookEventId)) return;
    // Join and leave always wait (tiny, never a flood); texts within the caps.
    const fits =
      event.type !== 'text' ||
      (pending.length < limits.maxWaitingMessages &&
        pendingBytes + bytesOf(event) <= limits.maxWaitingBytes);
    if (fits) {
      pending.push(event);
      pendingBytes += bytesOf(event);
    } else if (refused.length < MAX_REFUSED_KEPT && 'lineUserId' in event) {
      refused.push({ ...refusedRef(event), to: conversation.id });
    } else
      log.error('busy: too many refused events waiting; dropped', { id: event.webhookEventId });
  });

  if (!state.limits) limits = await readWaitingLimits(limits);
  const refusalsDone = startBusyReplies(refused);

  for (let handled = 0; ; handled++) {
    if (handled >= EVENTS_PER_RUN || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await condition(refusalsDone);
      await continueAsNew<typeof lineGroupSession>(conversation, {
        pending,
        seen,
        refused,
        limits,
        left,
      });
    }
    if (!(await condition(() => pending.length > 0, IDLE_TIMEOUT_MS))) {
      await condition(refusalsDone);
      return;
    }
    const event = pending.shift() as LineWebhookEvent;
    pendingBytes -= bytesOf(event);
    const claimed = await claimEvent(event);
    if (claimed) left = await handleGroupEvent(event, conversation, left);
  }
}

/** Handles one event; returns whether the bot has left the conversation afterwards. */
async function handleGroupEvent(
  event: LineWebhookEvent,
  conversation: Conversation,
  left: boolean,
): Promise<boolean> {
  const id = event.webhookEventId;
  const at = {
    webhookEventId: id,
    conversation,
    timestamp: event.timestamp,
    ...('replyToken' in event && event.replyToken ? { replyToken: event.replyToken } : {}),
  };
  if (event.type !== 'text') {
    try {
      if (event.type === 'join') await answers.joinConversation(at);
      else if (event.type === 'leave') await records.leaveConversation(at);
      // A tap on a button the bot showed here (buy, upgrade, balance): one member's account,
      // so their one-to-one chat; never a Checkout link posted to the whole group.
      else if (event.type === 'postback' && !left)
        await answers.answerInConversation({
          ...at,
          kind: 'personalCommand',
          lineUserId: event.lineUserId,
        });
      else log.info('group event not handled', { webhookEventId: id, type: event.type });
    } catch (err) {
      // Bounded (LINE or the database away for minutes): logged, the session goes on.
      if (!(err instanceof ActivityFailure)) throw err;
      log.warn('group step gave up', { webhookEventId: id, errorType: failureTypeOf(err) });
    }
    return event.type === 'join' ? false : event.type === 'leave' ? true : left;
  }
  if (left) {
    log.info('group text after the bot left; not answered', { webhookEventId: id });
    return left;
  }
  const command = parseCommand(event.text);
  if (!event.text || (command && command.kind !== 'search')) {
    // A bare mention, or help: how to call the bot here. Personal commands (balance, buying,
    // plans, prompts, stamps) show or change one member's account: their one-to-one chat.
    const kind = !command || command.kind === 'help' ? 'help' : 'personalCommand';
    try {
      await answers.answerInConversation({ ...at, kind, lineUserId: event.lineUserId });
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      log.warn('group answer gave up', { webhookEventId: id, errorType: failureTypeOf(err) });
    }
    return left;
  }
  // A question (or 「検索 …」): an ordinary chat turn, charged to the member who asked.
  const input: ChatTurnInput =
    command?.kind === 'search'
      ? { event, tierOverride: { tier: 'search', question: command.question } }
      : { event };
  const result = await runChild(
    chatTurn,
    chatTurnId(id),
    'chat',
    [input],
    event.lineUserId,
    undefined,
    { staticSummary: `group ${chatTurnSummary(input)}`, workflowRunTimeout: CHAT_TURN_RUN_TIMEOUT },
  );
  if (!result) log.warn('group chat turn ended without a result', { webhookEventId: id });
  return left;
}

/** What a waiting event weighs (join and leave: the fixed allowance). */
function bytesOf(event: LineWebhookEvent): number {
  return 'lineUserId' in event ? eventBytes(event as LineInboundEvent) : 512;
}
