import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { ActivityOptions, RetryPolicy } from '@temporalio/common';
import type { ChatActivities } from '../../activities/chat';
import type { LedgerActivities } from '../../activities/ledger';
import {
  LEDGER_ACTIVITY_OPTIONS,
  LEDGER_SETTLE_ACTIVITY_OPTIONS,
} from '../../activities/ledger-options';
import type { LineMessagingActivities } from '../../activities/line-messaging';
import type { LineInboundEvent } from '../../domain/line-events';
import { runChatTurn, type ChatTurnResult } from '../../workflows/chat-turn-steps';

/**
 * BENCHMARK EXPERIMENT, not product code. bench/chat.ts (BENCH_VARIANT=...) bundles the
 * product's workflows with workflows/chat-turn.ts swapped for this file, to measure a change
 * of the turn's shape before anyone edits the product. The body of the turn is the product's
 * own (runChatTurn in workflows/chat-turn-steps.ts); only how each step is dispatched differs:
 *
 *   product   short steps local activities, the model call a regular heartbeating activity
 *             (what workflows/chat-turn.ts does; no variant needed, listed for reference)
 *   regular   every step a regular activity: the product before 9b27ac9
 *   local     every step a local activity, the model call included (no activity task and no
 *             second workflow task through the server; a worker dying mid-call is noticed by
 *             the workflow task timeout instead of the 5 s heartbeat timeout)
 *
 * The variant is chosen at bundle time (webpack DefinePlugin).
 */

declare const __CHAT_TURN_VARIANT__: string;
const VARIANT = __CHAT_TURN_VARIANT__;

function proxy<T>(short: boolean, options: ActivityOptions): T {
  const local = VARIANT === 'local' || (VARIANT !== 'regular' && short);
  if (!local) return proxyActivities(options) as T;
  const { startToCloseTimeout, scheduleToCloseTimeout, retry } = options;
  return proxyLocalActivities({ startToCloseTimeout, scheduleToCloseTimeout, retry }) as T;
}

const retryForever: RetryPolicy = { initialInterval: '1 second', maximumInterval: '30 seconds' };

const chat = proxy<ChatActivities>(true, {
  startToCloseTimeout: '30 seconds',
  retry: { ...retryForever, maximumAttempts: 10 },
});
const llm = proxy<ChatActivities>(false, {
  startToCloseTimeout: '90 seconds',
  // A local activity has no heartbeat timeout (the workflow task's timeout covers it).
  ...(VARIANT === 'local' ? {} : { heartbeatTimeout: '5 seconds' }),
  retry: {
    initialInterval: '500 milliseconds',
    backoffCoefficient: 2,
    maximumAttempts: 3,
    nonRetryableErrorTypes: ['LLM_REJECTED', 'UNKNOWN_MODEL'],
  },
});
const settle = proxy<ChatActivities>(true, {
  startToCloseTimeout: '30 seconds',
  retry: retryForever,
});
const ledger = proxy<LedgerActivities>(true, LEDGER_ACTIVITY_OPTIONS);
const compensate = proxy<LedgerActivities>(true, LEDGER_SETTLE_ACTIVITY_OPTIONS);
const line = proxy<LineMessagingActivities>(true, {
  startToCloseTimeout: '30 seconds',
  retry: { ...retryForever, maximumAttempts: 20 },
});

export async function chatTurn(
  event: Extract<LineInboundEvent, { type: 'text' }>,
): Promise<ChatTurnResult> {
  return runChatTurn(event, { chat, llm, settle, ledger, compensate, line });
}
