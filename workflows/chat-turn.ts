import { log, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import type { VoiceClip } from '../activities/chat-voice';
import type { TurnImage } from '../activities/chat-vision';
import type { Command } from '../domain/commands';
import type { LineInboundEvent } from '../domain/line-events';
import { runChatTurn, type ChatTierOverride, type ChatTurnResult } from './chat-turn-steps';

export type { ChatTierOverride, ChatTurnOutcome, ChatTurnResult } from './chat-turn-steps';

export interface ChatTurnInput {
  event: Extract<LineInboundEvent, { type: 'text' }>;
  /** Parsed once by the session (domain/commands.ts), so both decide alike. */
  command?: Command;
  /**
   * 「検索 …」 (since the session's patch command-search): the model is asked the question on
   * the plan's search tier, through the usual reserve, model, settle and delivery.
   */
  tierOverride?: ChatTierOverride;
  /** A voice message (since the session's patch voice-messages): transcribed first. */
  voice?: VoiceClip;
  /**
   * A question about the user's waiting photo (since the session's patch image-question): the
   * text is asked on the plan's vision tier with the photo, which the model step loads itself.
   */
  image?: TurnImage;
  /**
   * The user's next messages were already waiting when the session started this turn: a slow
   * answer goes as before (reply while the token lives, else push) instead of a 「回答を受け取る」
   * notice that would hold them up to chat.collectWaitSeconds (workflows/chat-turn-collect.ts).
   */
  othersWaiting?: boolean;
}

/** The message of the one log line each finished turn writes (searched for by operators). */
export const CHAT_TURN_FINISHED = 'chat turn finished';

/**
 * One chat turn as its own workflow, `chat-<webhookEventId>`, started by the user's session
 * (workflows/line-user-session.ts) and awaited there, so turns still run one at a time in the
 * user's order. Its history is the turn's record an operator opens from the admin lookup or the
 * /dev simulator: each step is a local activity with a summary ("reserve 12 pt (estimate)",
 * "model small", "settle: charge …", "answer: reply by token, else push"), and the result is
 * the outcome with a one-line summary. It never fails for a business reason or a step that
 * gave up: those end as `rejected` or `failed` after the apology.
 */
export async function chatTurn(input: ChatTurnInput): Promise<ChatTurnResult> {
  const { event, command, ...extras } = input;
  const result = await runChatTurn(event, command, true, extras);
  setCurrentDetails(`${result.outcome}${result.summary ? `: ${result.summary}` : ''}`);
  logFinishedTurn(input, result);
  return result;
}

/**
 * One line per finished turn, for logs what the workflow record is for the Web UI: outcome,
 * points, durations and IDs (the SDK adds workflowId, runId and task queue). Never the message,
 * the command's argument (a custom prompt) or the summary (free text may be added to it
 * later). `log` is dropped while the workflow replays, so a turn logs once however often a
 * worker replays it, and it emits no command, so no patch is needed.
 */
function logFinishedTurn(input: ChatTurnInput, result: ChatTurnResult): void {
  const now = Date.now(); // workflow time: the start of the current workflow task
  log.info(CHAT_TURN_FINISHED, {
    turnId: workflowInfo().workflowId,
    webhookEventId: input.event.webhookEventId,
    outcome: result.outcome,
    pointsCharged: result.pointsCharged ?? 0,
    ...(input.command ? { command: input.command.kind } : {}),
    ...(input.tierOverride ? { tier: input.tierOverride.tier } : {}),
    ...(input.image ? { tier: 'vision' } : {}),
    ...(result.errorCode ? { errorCode: result.errorCode } : {}),
    ...(result.failedStep ? { failedStep: result.failedStep } : {}),
    // In the workflow: from the session starting the turn; since the user sent the message.
    durationMs: now - workflowInfo().startTime.getTime(),
    sinceMessageMs: Math.max(0, now - input.event.timestamp),
  });
}
