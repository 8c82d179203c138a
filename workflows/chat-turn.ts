import { setCurrentDetails } from '@temporalio/workflow';
import type { Command } from '../domain/commands';
import type { LineInboundEvent } from '../domain/line-events';
import { runChatTurn, type ChatTurnResult } from './chat-turn-steps';

export type { ChatTurnOutcome, ChatTurnResult } from './chat-turn-steps';

export interface ChatTurnInput {
  event: Extract<LineInboundEvent, { type: 'text' }>;
  /** Parsed once by the session (domain/commands.ts), so both decide alike. */
  command?: Command;
}

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
  const result = await runChatTurn(input.event, input.command, true);
  setCurrentDetails(`${result.outcome}${result.summary ? `: ${result.summary}` : ''}`);
  return result;
}
