import type { UsageView } from '../domain/daily-limit';
import type { UsageResponse } from './types';

/**
 * Seed 004 `ai_chat_usage_logs`: chat turns per user per local calendar day. `usage_date` is
 * the day of the reserve in the configured time zone (domain/daily-limit `usageDate`), never the
 * database's or the server's idea of "today", so the reset is anchored at 00:00 in that zone.
 * The counter is only changed inside a ledger transaction holding the user's lock (turns.ts),
 * so "read, check, increment" cannot interleave with another turn of the same user: concurrent
 * turns can never exceed the limit.
 */

/** Seed 004's snake_case view. */
export function toResponse(view: UsageView): UsageResponse {
  return {
    remaining_count: view.remainingCount,
    daily_limit: view.dailyLimit,
    reset_time: view.resetTime,
    can_use_chat: view.canUseChat,
  };
}
