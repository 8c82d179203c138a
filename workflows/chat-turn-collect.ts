import {
  condition,
  defineSignal,
  getExternalWorkflowHandle,
  log,
  patched,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { CollectDelivery, LineMessagingActivities } from '../activities/line-messaging';
import type { LineInboundEvent } from '../domain/line-events';
import { answerNoticeMessage, type CollectSettings } from '../domain/line-ui/collect';
import { parseCollectPostbackData } from '../domain/line-ui/postback';
import type { ChatTurnResult } from './chat-turn-steps';
import { deliverSettledAnswer, type SettledAnswer } from './chat-turn-answer';
import { failureTypeOf } from './support/failures';
import { chatTurnId } from './support/ids';

/**
 * Patch: the reply-token economy's tap flow (issue #14, item 8). A reply is free, a push counts
 * against the channel's monthly quota, and a reply token is good for about a minute. When the
 * model has not answered `chat.answerNoticeAfterSeconds` after the message, the turn replies on
 * the message's token with a short notice and a 「回答を受け取る」 postback button; the tap
 * (api/inbox-relay.ts signals it here, not to the session, which is awaiting this turn) brings
 * a fresh token, and the settled answer goes on it, free. If nobody taps within
 * `chat.collectWaitSeconds` after the answer is ready, or the user writes again meanwhile, the
 * answer is pushed. Turns recorded before answer as they did (reply while young, else push).
 */
export const TAP_TO_COLLECT = 'chat-turn-tap-to-collect';

/** A 「回答を受け取る」 tap, as the inbox relay passes it on (no text: a token and IDs). */
export interface CollectTap {
  /** The tap's own webhook event. */
  webhookEventId: string;
  lineUserId: string;
  replyToken: string;
  /** When LINE says the tap happened: its token's age is measured from it. */
  timestamp: number;
}

export const collectAnswerSignal = defineSignal<[CollectTap]>('collectAnswer');
/** The user's session got a new message: push the answer now rather than hold the session. */
export const pushAnswerNowSignal = defineSignal('pushAnswerNow');

/**
 * Patch (the user's session): a new event from the user while a chat turn runs asks that turn
 * to push its answer as soon as it is ready instead of waiting for a tap, so the session (which
 * awaits the turn) is not held up to chat.collectWaitSeconds. Runs from before never signalled.
 */
export const PUSH_ON_NEW_EVENT = 'collect-push-on-new-event';

/**
 * A local activity holds the turn's commands (the notice's timer among them) until it ends or
 * the workflow task's heartbeat, at 80% of the task timeout (sdk-core): the timer is started
 * that much early, so the notice goes out no later than about the configured time.
 */
const LOCAL_ACTIVITY_HOLD = 0.8;

/** The notice is worth sending only while its token lives: a few quick attempts, reply only. */
const notices = proxyLocalActivities<LineMessagingActivities>({
  startToCloseTimeout: '10 seconds',
  scheduleToCloseTimeout: '20 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '5 seconds', maximumAttempts: 3 },
});

export interface TapToCollect {
  /** The model step ended (answer or failure): stops the notice's timer, awaits a notice in flight. */
  modelDone(): Promise<void>;
  /** Delivers the settled answer: on the tap's token after a notice, else as before. */
  deliver(a: SettledAnswer): Promise<ChatTurnResult>;
}

type TextEvent = Extract<LineInboundEvent, { type: 'text' }>;

/**
 * Starts the race between the model step (called right after) and the notice's timer, for a
 * one-to-one message with a reply token whose turn was prepared with the tap flow's settings.
 * Undefined otherwise (or in turns recorded before the patch): the turn answers as before.
 */
export function tapToCollect(
  event: TextEvent,
  turnId: string,
  settings: CollectSettings | undefined,
  /** What happened so far, for the turn's summary (the turn's own list). */
  done: string[],
): TapToCollect | undefined {
  const notice = settings && answerNoticeMessage(settings, event.webhookEventId);
  const inGroup = 'conversation' in event && Boolean(event.conversation);
  // A message whose token is spent already (it waited behind other turns): pushed as before.
  const tokenAlive =
    settings && Date.now() - event.timestamp < settings.replyTokenMaxAgeSeconds * 1000;
  if (!notice || !tokenAlive || !event.replyToken || inGroup || !patched(TAP_TO_COLLECT))
    return undefined;

  let tap: CollectTap | undefined;
  let pushNow = false;
  let answered = false;
  let noticed = false;
  setHandler(collectAnswerSignal, (t) => {
    // Only the turn's own user, only the first tap (a redelivered or second tap is a no-op);
    // logged by IDs only.
    const wellFormed = typeof t.replyToken === 'string' && t.replyToken.length > 0;
    if (t.lineUserId !== event.lineUserId || !wellFormed || typeof t.timestamp !== 'number') {
      log.warn('collect tap ignored: not from the turn’s user', {
        turnId,
        tapEventId: t.webhookEventId,
      });
      return;
    }
    if (tap) return;
    tap = { ...t };
  });
  setHandler(pushAnswerNowSignal, () => {
    pushNow = true;
  });

  const race = (async () => {
    const lead = workflowInfo().taskTimeoutMs * LOCAL_ACTIVITY_HOLD;
    const ms = event.timestamp + settings.noticeAfterSeconds * 1000 - lead - Date.now();
    if (ms > 0) {
      const ready = await condition(() => answered, ms, {
        summary: `notice unless the answer is ready ${settings.noticeAfterSeconds} s after the message`,
      });
      if (ready) return;
    } else if (answered) return;
    // The user wrote again meanwhile: the answer is pushed when ready, no button to wait for.
    if (pushNow) return;
    try {
      const sent = await notices.deliverMessages.executeWithOptions(
        { summary: 'notice: reply by token (never a push)' },
        [
          {
            lineUserId: event.lineUserId,
            texts: [],
            messages: [notice],
            replyToken: event.replyToken,
            eventTimestamp: event.timestamp,
            // Its own retry keys and reply record: the answer's delivery is the turn's.
            deliveryId: `${turnId}:notice`,
            replyOnly: true,
          },
        ],
      );
      noticed = sent.via === 'reply';
      done.push(noticed ? 'notice replied' : 'notice not sent (token too old)');
    } catch (err) {
      // The notice is a courtesy: without it the answer goes as before (reply, else push).
      log.warn('answer notice gave up', { turnId, errorType: failureTypeOf(err) });
      done.push('notice failed');
    }
  })();

  async function tellAlreadySent(late: CollectTap): Promise<void> {
    if (!settings) return;
    try {
      await notices.deliverMessages.executeWithOptions(
        { summary: 'late tap: "already sent" by its token (never a push)' },
        [
          {
            lineUserId: event.lineUserId,
            texts: [settings.alreadySent],
            replyToken: late.replyToken,
            eventTimestamp: late.timestamp,
            deliveryId: `${turnId}:late-tap`,
            replyOnly: true,
          },
        ],
      );
    } catch (err) {
      log.warn('late tap reply gave up', { turnId, errorType: failureTypeOf(err) });
    }
  }

  return {
    async modelDone() {
      answered = true;
      await race;
    },
    async deliver(a) {
      if (!noticed) return deliverSettledAnswer(a);
      if (!tap && !pushNow) {
        const seconds = settings.waitSeconds;
        await condition(() => tap !== undefined || pushNow, seconds * 1000, {
          summary: `wait for the tap (≤ ${seconds} s)`,
        });
      }
      // The message's token was spent on the notice: the tap's token, else a push.
      let collect: CollectDelivery;
      let how: string;
      let replyToken: string | undefined;
      let timestamp = event.timestamp;
      if (tap) {
        collect = 'tapped';
        how = "reply on the tap's token, else push";
        replyToken = tap.replyToken;
        timestamp = tap.timestamp;
        done.push('tapped');
      } else {
        collect = pushNow ? 'pushed_new_message' : 'pushed_no_tap';
        how = pushNow
          ? 'push (the user wrote again)'
          : `push (no tap in ${settings.waitSeconds} s)`;
        done.push(pushNow ? 'no tap, the user wrote again' : 'no tap');
      }
      const result = await deliverSettledAnswer({
        ...a,
        event: { ...a.event, replyToken, timestamp },
        how,
        collect,
      });
      // A tap that came while the answer was being pushed: told so on its token, free.
      if (replyToken || !tap) return result;
      await tellAlreadySent(tap);
      return { ...result, summary: `${result.summary ?? ''}, a late tap told "already sent"` };
    },
  };
}

/**
 * From the session's signal handler: `incoming` arrived while `handling` runs. If `handling` is
 * a chat turn (a text or a voice message), it is asked once to push its answer now; a tap never
 * asks (it is the answer's way, not a new message). True when asked (the caller forgets the
 * turn, so one signal per turn); a turn that is no chat turn, or over, fails the signal, ignored.
 */
export function askTurnToPushNow(handling: LineInboundEvent, incoming: LineInboundEvent): boolean {
  const chatTurn =
    handling.type === 'text' ||
    (handling.type === 'unsupported' && handling.messageType === 'audio');
  if (!chatTurn || handling.webhookEventId === incoming.webhookEventId) return false;
  if (incoming.type === 'postback' && parseCollectPostbackData(incoming.data)) return false;
  if (!patched(PUSH_ON_NEW_EVENT)) return false;
  const turnId = chatTurnId(handling.webhookEventId);
  getExternalWorkflowHandle(turnId)
    .signal(pushAnswerNowSignal)
    .catch(() => log.info('no running chat turn to push now', { turnId }));
  return true;
}
