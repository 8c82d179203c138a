import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { ActivityOptions, LocalActivityOptions, RetryPolicy } from '@temporalio/common';
import type { ChatActivities } from '../activities/chat';
import type { LedgerActivities } from '../activities/ledger';
import {
  LEDGER_ACTIVITY_OPTIONS,
  LEDGER_SETTLE_ACTIVITY_OPTIONS,
} from '../activities/ledger-options';
import type { LineMessagingActivities } from '../activities/line-messaging';
import type { LineInboundEvent } from '../domain/line-events';
import { runChatTurn, type ChatTurnResult } from './chat-turn-steps';

export type { ChatTurnOutcome, ChatTurnResult } from './chat-turn-steps';

const retryForever: RetryPolicy = { initialInterval: '1 second', maximumInterval: '30 seconds' };

/**
 * The short steps of a turn (database and LINE calls of a few milliseconds) run as LOCAL
 * activities: in the worker that runs the turn, recorded in its history as markers, without a
 * round trip through the Temporal server per step. They keep their retry policies, are
 * idempotent by the turn ID, and re-run after a crash if their result was not yet recorded.
 * Only the model call, which takes seconds, is a regular activity with heartbeats, so that a
 * worker dying in the middle of it is noticed within seconds and the call resumes elsewhere.
 */
function local(options: ActivityOptions): LocalActivityOptions {
  const { startToCloseTimeout, scheduleToCloseTimeout, retry } = options;
  return { startToCloseTimeout, scheduleToCloseTimeout, retry };
}

const chat = proxyLocalActivities<ChatActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { ...retryForever, maximumAttempts: 10 },
});

/** The model call: a few quick retries (429/5xx), then the fallback tier takes over. */
const llm = proxyActivities<ChatActivities>({
  startToCloseTimeout: '90 seconds',
  heartbeatTimeout: '5 seconds',
  retry: {
    initialInterval: '500 milliseconds',
    backoffCoefficient: 2,
    maximumAttempts: 3,
    nonRetryableErrorTypes: ['LLM_REJECTED', 'UNKNOWN_MODEL'],
  },
});

/** Settlement must happen once the model has answered: it is retried until it succeeds. */
const settle = proxyLocalActivities<ChatActivities>({
  startToCloseTimeout: '30 seconds',
  retry: retryForever,
});

const ledger = proxyLocalActivities<LedgerActivities>(local(LEDGER_ACTIVITY_OPTIONS));
/** A hold must never leak: its release is retried until it lands. */
const compensate = proxyLocalActivities<LedgerActivities>(local(LEDGER_SETTLE_ACTIVITY_OPTIONS));

const line = proxyLocalActivities<LineMessagingActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { ...retryForever, maximumAttempts: 20 },
});

/**
 * One chat turn: commands and canned replies first; otherwise check limits and reserve points,
 * call the model, settle the real cost, reply. The turn's ID (its workflow ID, derived from the
 * LINE webhookEventId) is the idempotency key of every effect. A failure before settlement
 * releases the hold and the daily slot (saga compensation) and apologises; nothing is charged.
 */
export async function chatTurn(
  event: Extract<LineInboundEvent, { type: 'text' }>,
): Promise<ChatTurnResult> {
  return runChatTurn(event, { chat, llm, settle, ledger, compensate, line });
}
