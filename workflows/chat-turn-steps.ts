import { type ApplicationFailure, proxyLocalActivities } from '@temporalio/workflow';
import type { ChatActivities, GeneratedReply } from '../activities/chat';
import type { LedgerActivities } from '../activities/ledger';
import type { LineMessagingActivities } from '../activities/line-messaging';
import type { Command } from '../domain/commands';
import { ERROR_CODES } from '../domain/errors';
import type { LineInboundEvent } from '../domain/line-events';
import {
  LEDGER_ACTIVITY_OPTIONS,
  LEDGER_SETTLE_ACTIVITY_OPTIONS,
  LINE_REPLY_OPTIONS,
  local,
  UNTIL_BACK_OPTIONS,
  upTo,
} from './support/activity-options';
import { applicationFailureOf } from './support/failures';
import { chatTurnId } from './support/ids';
import { replyToEvent } from './support/reply';

/**
 * A chat turn is not a workflow of its own: it runs inside the user's session workflow
 * (workflows/line-user-session.ts), so a turn costs no extra workflow start and no extra trips
 * through the Temporal server. Every step is a LOCAL activity: it runs in the worker that runs
 * the session, and its result is recorded in the session's history as a marker. Steps keep
 * their own timeouts and retry policies.
 *
 * Why that is safe: every step is idempotent by the turn ID. If the worker dies mid-turn, the
 * workflow task times out (10 s) and another worker replays the session; steps whose markers
 * were recorded are not run again, the others are: the reserve finds its hold, the settlement
 * finds its charge and returns the answer it archived. The one thing that can happen twice is
 * the model call itself (a cost to us, never to the user).
 */

export type ChatTurnOutcome = 'command' | 'replied' | 'answered' | 'rejected' | 'failed';

export interface ChatTurnResult {
  outcome: ChatTurnOutcome;
  errorCode?: string;
  pointsCharged?: number;
}

const chat = proxyLocalActivities<ChatActivities>(local(upTo(10)));

/** The model call: a few quick retries (429/5xx), then the fallback tier takes over. */
const llm = proxyLocalActivities<ChatActivities>({
  startToCloseTimeout: '90 seconds',
  retry: {
    initialInterval: '500 milliseconds',
    backoffCoefficient: 2,
    maximumAttempts: 3,
    nonRetryableErrorTypes: ['LLM_REJECTED', 'UNKNOWN_MODEL'],
  },
});

/** Settlement must happen once the model has answered: it is retried until it succeeds. */
const settle = proxyLocalActivities<ChatActivities>(local(UNTIL_BACK_OPTIONS));

const ledger = proxyLocalActivities<LedgerActivities>(local(LEDGER_ACTIVITY_OPTIONS));
/** A hold must never leak: its release is retried until it lands. */
const compensate = proxyLocalActivities<LedgerActivities>(local(LEDGER_SETTLE_ACTIVITY_OPTIONS));

const line = proxyLocalActivities<LineMessagingActivities>(local(LINE_REPLY_OPTIONS));

/**
 * One chat turn: commands and canned replies first; otherwise check limits and reserve points,
 * call the model, settle the real cost, reply. The turn ID (chat-<webhookEventId>) is the
 * idempotency key of every effect. A failure before settlement releases the hold and the daily
 * slot (saga compensation) and apologises; nothing is charged.
 */
export async function chatTurn(
  event: Extract<LineInboundEvent, { type: 'text' }>,
  /** The text parsed once by the session (domain/commands.ts), so both decide alike. */
  command: Command | undefined,
): Promise<ChatTurnResult> {
  const turnId = chatTurnId(event.webhookEventId);
  const deliver = (texts: string[]) => replyToEvent(line, event, texts, turnId);

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
    // The loading animation goes out alongside the model call, not before it: it is cosmetic
    // (showLoading never fails the turn), and waiting for it would delay the answer.
    const loading = line.showLoading({
      lineUserId: event.lineUserId,
      seconds: prepared.loadingSeconds,
    });

    let reply: GeneratedReply;
    try {
      reply = await llm.generateReply({ tierId: prepared.tierId, messages: prepared.messages });
    } catch (err) {
      if (!prepared.fallbackTierId) throw err;
      reply = await llm.generateReply({
        tierId: prepared.fallbackTierId,
        messages: prepared.messages,
      });
    } finally {
      await loading.catch(() => undefined);
    }

    const { pointsCharged, answer } = await settle.settleChatTurn({
      turnId,
      userId: prepared.userId,
      userText: event.text,
      reply,
    });
    reserved = false;
    await deliver([answer]);
    return { outcome: 'answered', pointsCharged };
  } catch (err) {
    if (reserved) await compensate.releaseTurn({ turnId, userId: prepared.userId });
    const failure = applicationFailureOf(err);
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

function resetTimeOf(failure: ApplicationFailure | undefined): string | undefined {
  const details = failure?.details?.[0] as { resetTime?: unknown } | undefined;
  return typeof details?.resetTime === 'string' ? details.resetTime : undefined;
}
