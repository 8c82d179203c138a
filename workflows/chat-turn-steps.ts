import { ActivityFailure, ApplicationFailure, workflowInfo } from '@temporalio/workflow';
import type { ChatActivities, GeneratedReply } from '../activities/chat';
import type { LedgerActivities } from '../activities/ledger';
import type { LineMessagingActivities } from '../activities/line-messaging';
import { parseCommand } from '../domain/commands';
import { ERROR_CODES } from '../domain/errors';
import type { LineInboundEvent } from '../domain/line-events';

/**
 * The body of a chat turn, apart from how its steps are dispatched (workflows/chat-turn.ts
 * builds the product's proxies; bench/lib/chat-turn-variant.ts measures other choices with the
 * same body). Not a workflow itself, so not exported from workflows/index.ts.
 */

export type ChatTurnOutcome = 'command' | 'replied' | 'answered' | 'rejected' | 'failed';

export interface ChatTurnResult {
  outcome: ChatTurnOutcome;
  errorCode?: string;
  pointsCharged?: number;
}

/** Activity proxies of a turn's steps, each with its own timeouts and retry policy. */
export interface ChatTurnSteps {
  chat: Pick<ChatActivities, 'runCommand' | 'prepareChatTurn' | 'composeErrorReply'>;
  llm: Pick<ChatActivities, 'generateReply'>;
  settle: Pick<ChatActivities, 'settleChatTurn'>;
  ledger: Pick<LedgerActivities, 'reserveTurn'>;
  compensate: Pick<LedgerActivities, 'releaseTurn'>;
  line: Pick<LineMessagingActivities, 'deliverMessages' | 'showLoading'>;
}

/**
 * One chat turn: commands and canned replies first; otherwise check limits and reserve points,
 * call the model, settle the real cost, reply. The turn's ID (its workflow ID, derived from the
 * LINE webhookEventId) is the idempotency key of every effect. A failure before settlement
 * releases the hold and the daily slot (saga compensation) and apologises; nothing is charged.
 */
export async function runChatTurn(
  event: Extract<LineInboundEvent, { type: 'text' }>,
  { chat, llm, settle, ledger, compensate, line }: ChatTurnSteps,
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
