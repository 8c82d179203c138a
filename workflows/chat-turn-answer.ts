import {
  isCancellation,
  type LocalActivityOptions,
  log,
  proxyLocalActivities,
  TemporalFailure,
} from '@temporalio/workflow';
import type { ChatActivities } from '../activities/chat';
import type { CollectDelivery, LineMessagingActivities } from '../activities/line-messaging';
import type { LineInboundEvent } from '../domain/line-events';
import type { ChatTurnResult } from './chat-turn-steps';
import {
  CHAT_APOLOGY_OPTIONS,
  CHAT_LEDGER_WRITE_OPTIONS,
  LINE_REPLY_OPTIONS,
  local,
} from './support/activity-options';
import { applicationFailureOf } from './support/failures';

/**
 * Patch: a settled answer that cannot be delivered (LINE refuses it for good, or it is still
 * undelivered after chat.maxDeliveryWaitSeconds) puts the turn's charge back and tells the user
 * so (issue #12's overload rule: no turn charged without its answer). Turns from before end as
 * they did: an apology, the charge kept.
 */
export const REFUND_UNDELIVERED = 'chat-refund-undelivered';

const line = proxyLocalActivities<LineMessagingActivities>(local(LINE_REPLY_OPTIONS));
const refund = proxyLocalActivities<ChatActivities>(CHAT_LEDGER_WRITE_OPTIONS);
const apology = proxyLocalActivities<LineMessagingActivities>(CHAT_APOLOGY_OPTIONS);

export interface SettledAnswer {
  event: Extract<LineInboundEvent, { type: 'text' }>;
  turnId: string;
  userId: string;
  answer: string;
  pointsCharged: number;
  /** From the prepare step (the catalog); absent in turns prepared by older workers. */
  maxDeliveryWaitSeconds?: number;
  /** What happened so far, for the turn's summary. */
  done: string[];
  /** The step's summary after "answer: " (the tap flow says which token it uses). */
  how?: string;
  /** The tap flow's answer, counted by how it went (workflows/chat-turn-collect.ts). */
  collect?: CollectDelivery;
}

/**
 * Delivers the settled answer within the configured wait; if it cannot, refunds the charge (by
 * the turn ID, idempotent) and sends the user the "charge put back" message. Never throws an
 * activity's failure: the turn ends `answered`, or `failed` at step `reply` with the refund.
 */
export async function deliverSettledAnswer(a: SettledAnswer): Promise<ChatTurnResult> {
  const { event, turnId, done } = a;
  const how = a.how ?? (event.replyToken ? 'reply by token, else push' : 'push');
  try {
    const delivered = await line.deliverMessages.executeWithOptions(
      {
        summary: `answer: ${how}`,
        ...(a.maxDeliveryWaitSeconds ? withinWait(a.maxDeliveryWaitSeconds) : {}),
      },
      [
        {
          lineUserId: event.lineUserId,
          // A group's or room's turn answers in the group (its history is the group's too).
          ...(event.conversation ? { to: event.conversation.id } : {}),
          texts: [a.answer],
          replyToken: event.replyToken,
          eventTimestamp: event.timestamp,
          deliveryId: turnId,
          ...(a.collect ? { collect: a.collect } : {}),
        },
      ],
    );
    done.push(`delivered by ${delivered.via}`);
    return { outcome: 'answered', pointsCharged: a.pointsCharged, summary: done.join(', ') };
  } catch (err) {
    if (!stepFailed(err)) throw err;
    return refundUndelivered(a, failureType(err));
  }
}

async function refundUndelivered(a: SettledAnswer, errorType: string): Promise<ChatTurnResult> {
  const { event, turnId, done } = a;
  let pointsRefunded = 0;
  try {
    const refunded = await refund.refundUndeliveredTurn.executeWithOptions(
      { summary: `put back ${a.pointsCharged} pt: answer undelivered (${errorType})` },
      [{ turnId, userId: a.userId, errorType }],
    );
    pointsRefunded = refunded.pointsRefunded;
    done.push(`answer undelivered (${errorType}), ${pointsRefunded} pt put back`);
    await apology.deliverMessages.executeWithOptions({ summary: 'apology: charge put back' }, [
      {
        lineUserId: event.lineUserId,
        ...(event.conversation ? { to: event.conversation.id } : {}),
        texts: refunded.texts,
        replyToken: event.replyToken,
        eventTimestamp: event.timestamp,
        // Its own retry keys: the answer's may have reached LINE's dedup already.
        deliveryId: `${turnId}:undelivered`,
      },
    ]);
  } catch (err) {
    if (!stepFailed(err)) throw err;
    // The database or LINE gave up too: logged (no text); the session goes on.
    log.error('undelivered chat answer: refund or notice gave up', {
      turnId,
      errorType: failureType(err),
    });
  }
  return {
    outcome: 'failed',
    errorCode: errorType,
    failedStep: 'reply',
    pointsCharged: a.pointsCharged - pointsRefunded,
    summary: [...done, `failed at reply: ${errorType}`].join(', '),
  };
}

/**
 * Delivery options bounded by the wait: the schedule-to-close timeout, and (what a local
 * activity's retries surely honour) as many attempts as the retry policy's backoff (1 s doubling
 * to 30 s, workflows/support/activity-options RETRY_UNTIL_BACK) fits into it.
 */
function withinWait(seconds: number): LocalActivityOptions {
  let elapsed = 0;
  let backoff = 1;
  let attempts = 1;
  while (elapsed + backoff <= seconds) {
    elapsed += backoff;
    attempts++;
    backoff = Math.min(backoff * 2, 30);
  }
  return {
    scheduleToCloseTimeout: `${seconds} seconds`,
    retry: { ...LINE_REPLY_OPTIONS.retry, maximumAttempts: attempts },
  };
}

/** A step that gave up (a local activity's failure reaches the workflow as its cause or wrapped). */
function stepFailed(err: unknown): err is TemporalFailure {
  return err instanceof TemporalFailure && !isCancellation(err);
}

function failureType(err: TemporalFailure): string {
  return applicationFailureOf(err)?.type ?? err.cause?.name ?? err.name ?? 'SYSTEM_ERROR';
}
