import type { UsageView } from '../domain/daily-limit';

/** Seed 004 `AIChatUsageResponse`, as seed 004 spells it. -1 = unlimited. */
export interface UsageResponse {
  remaining_count: number;
  daily_limit: number;
  /** ISO 8601 with the zone's offset, e.g. `2026-11-23T00:00:00+09:00`. */
  reset_time: string;
  can_use_chat: boolean;
}

/**
 * The usage view is camelCase everywhere inside (domain/daily-limit `UsageView`); seed 004's
 * snake_case is the HTTP contract only, so it is spelled here, at the edge, and nowhere else.
 */
export function toUsageResponse(view: UsageView): UsageResponse {
  return {
    remaining_count: view.remainingCount,
    daily_limit: view.dailyLimit,
    reset_time: view.resetTime,
    can_use_chat: view.canUseChat,
  };
}
