import {
  ActivityFailure,
  ApplicationFailure,
  proxyActivities,
  proxyLocalActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type { ActivityOptions, RetryPolicy } from '@temporalio/common';
import type { ChatActivities, GeneratedReply } from '../../activities/chat';
import type { LedgerActivities } from '../../activities/ledger';
import {
  LEDGER_ACTIVITY_OPTIONS,
  LEDGER_SETTLE_ACTIVITY_OPTIONS,
} from '../../activities/ledger-options';
import type { LineMessagingActivities } from '../../activities/line-messaging';
import { parseCommand } from '../../domain/commands';
import { ERROR_CODES } from '../../domain/errors';
import type { LineInboundEvent } from '../../domain/line-events';
import type { ChatTurnResult } from '../../workflows/chat-turn';

/**
 * BENCHMARK EXPERIMENT, not product code. bench/chat.ts (BENCH_VARIANT=...) bundles the
 * product's workflows with workflows/chat-turn.ts swapped for this file, to measure a change
 * of the turn's shape before anyone edits the product. The body of chatTurn is the product's
 * (workflows/chat-turn.ts as of commit 9b27ac9); only how each step is dispatched differs:
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
  const turnId = workflowInfo().workflowId;
  const deliver = (texts: string[]) =>
    line.deliverMessages({
      lineUserId: event.lineUserId,
      texts,
      replyToken: event.replyToken,
      eventTimestamp: event.timestamp,
      deliveryId: turnId,
    });

  const command = parseCommand(event.text);
  if (command) {
    await deliver(await chat.runCommand({ lineUserId: event.lineUserId, turnId, command }));
    return { outcome: 'command' };
  }

  const prepared = await chat.prepareChatTurn({ lineUserId: event.lineUserId, text: event.text });
  if (prepared.kind === 'reply') {
    await deliver(prepared.texts);
    return { outcome: 'replied' };
  }

  let reserved = false;
  try {
    await ledger.reserveTurn({
      turnId,
      userId: prepared.userId,
      estimatePoints: prepared.estimatePoints,
    });
    reserved = true;
    await line.showLoading({ lineUserId: event.lineUserId, seconds: 20 });

    let reply: GeneratedReply;
    try {
      reply = await llm.generateReply({ tierId: prepared.tierId, messages: prepared.messages });
    } catch (err) {
      if (!prepared.fallbackTierId) throw err;
      reply = await llm.generateReply({
        tierId: prepared.fallbackTierId,
        messages: prepared.messages,
      });
    }

    const { pointsCharged } = await settle.settleChatTurn({
      turnId,
      userId: prepared.userId,
      userText: event.text,
      reply,
    });
    reserved = false;
    await deliver([reply.content]);
    return { outcome: 'answered', pointsCharged };
  } catch (err) {
    if (reserved) await compensate.releaseTurn({ turnId, userId: prepared.userId });
    const failure = businessFailure(err);
    await deliver(
      await chat.composeErrorReply({
        lineUserId: event.lineUserId,
        code: failure?.type ?? 'SYSTEM_ERROR',
        resetTime: resetTimeOf(failure),
      }),
    );
    return failure && ERROR_CODES.includes(failure.type as (typeof ERROR_CODES)[number])
      ? { outcome: 'rejected', errorCode: failure.type ?? undefined }
      : { outcome: 'failed', errorCode: 'SYSTEM_ERROR' };
  }
}

function businessFailure(err: unknown): ApplicationFailure | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure ? cause : undefined;
}

function resetTimeOf(failure: ApplicationFailure | undefined): string | undefined {
  const details = failure?.details?.[0] as { resetTime?: unknown } | undefined;
  return typeof details?.resetTime === 'string' ? details.resetTime : undefined;
}
