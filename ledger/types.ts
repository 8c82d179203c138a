import type { UsageView } from '../domain/daily-limit';
import type { UsageRecord } from '../domain/pricing';

/**
 * Inputs and results of the ledger operations (ledger/store.ts). Type-only, so workflow code
 * may import it. Every result is JSON-safe (instants as ISO 8601 strings) because results
 * cross Temporal's payload converter; inputs accept a Date or an ISO string for the same
 * reason.
 */

/** An instant: a Date, or an ISO 8601 string (what a Date becomes after a Temporal hop). */
export type Instant = Date | string;

export interface ReserveTurnInput {
  /** The chat turn (workflow ID): the idempotency key of the hold. */
  turnId: string;
  userId: string;
  /** Points to hold: the estimated input cost (non-negative integer). */
  estimatePoints: number;
}

/**
 * `held`: points are held and today's chat slot is taken. `privileged`: nothing held or counted.
 * `settled` / `released`: the turn already ended; the call changed nothing.
 */
export type ReserveStatus = 'held' | 'privileged' | 'settled' | 'released';

export interface ReserveTurnResult {
  status: ReserveStatus;
  /** Points held by this turn now (0 unless `held`). */
  heldPoints: number;
  usage: UsageView;
}

export interface SettleTurnInput {
  turnId: string;
  userId: string;
  /** From domain/pricing `priceUsage(...).records`: `in`, `out` and optionally `search`. */
  records: readonly UsageRecord[];
  /** The provider's raw usage JSON (seed 001 `openai_usages.usage`). */
  rawUsage: unknown;
  /** Request metadata (model, tier, workflow ID, ...), stored with the raw usage. */
  metadata: Record<string, unknown>;
}

export interface SettleTurnResult {
  /** True when the turn had been settled before: nothing was written, the callback not run. */
  alreadySettled: boolean;
  /** Privileged at settlement: records written for cost tracking, no points charged. */
  privileged: boolean;
  /** Points deducted from the lots for this turn (the original charge when already settled). */
  pointsCharged: number;
  /** The hold that settlement ended (0 when there was none, or already settled). */
  releasedHold: number;
  /** Effective balance after settlement (net of other turns' holds). */
  balanceAfter: number;
}

export interface ReleaseTurnInput {
  turnId: string;
  /**
   * Optional. With it, releasing a turn that has no reservation yet leaves a `released`
   * tombstone, so a reserve of that turn still in flight (e.g. an activity attempt that timed
   * out but commits later) can never create a hold that nobody releases.
   */
  userId?: string;
}

export interface ReleaseTurnResult {
  /** True when this call ended a hold (and gave the daily slot back). */
  released: boolean;
  /** The turn's state after the call; `unknown` = no reservation and no tombstone written. */
  status: 'released' | 'settled' | 'unknown';
  /** Points the call stopped holding. */
  releasedPoints: number;
}

export interface GrantPointsInput {
  /** Idempotency key: Stripe event / checkout session / invoice ID, admin request ID, ... */
  sourceRef: string;
  userId: string;
  /** Non-negative integer; 0 records the source as done and changes no lot. */
  points: number;
  /** When the granted lot expires; null = never. Must be in the future. */
  expiresAt: Instant | null;
  /** Why (point_grants.reason), e.g. `purchase:points_500`, `subscription:sub_basic`. */
  reason: string;
}

export interface GrantPointsResult {
  /** False when this source had been granted before (nothing changed). */
  granted: boolean;
  balanceAfter: number;
}

export interface AdjustPointsInput {
  sourceRef: string;
  userId: string;
  /** Non-zero integer: positive pays debts then adds a lot, negative charges (may overdraw). */
  delta: number;
  reason: string;
  /** Expiry of the lot a positive adjustment creates; absent/null = never. */
  expiresAt?: Instant | null;
}

export interface AdjustPointsResult {
  adjusted: boolean;
  balanceAfter: number;
}

export interface BalanceLot {
  amount: number;
  /** ISO 8601 (UTC); null = never expires. */
  expiresAt: string | null;
}

export interface BalanceView {
  /** Effective balance: unexpired positive lots + negative lots − held points. May be < 0. */
  balance: number;
  /** Points held by turns in flight. */
  held: number;
  /** The lots that count, in spending order (soonest expiry first), debts last. */
  lots: BalanceLot[];
}

export interface ReleaseStaleHoldsInput {
  /** Holds created before this instant are released (turns that will never finish). */
  olderThan: Instant;
  /** At most this many per call (default 100). */
  limit?: number;
}

export interface ReleaseStaleHoldsResult {
  /** Turn IDs released by this call. */
  released: string[];
}

export interface RefundTurnInput {
  /** The settled turn whose charge is put back (the idempotency key). */
  turnId: string;
  userId: string;
}

export interface RefundTurnResult {
  /** True when this call put the charge back. */
  refunded: boolean;
  /**
   * The turn after the call: `refunded` (now or before), `settled` (charged nothing: nothing to
   * put back), `held` / `released` (never charged), `unknown` (no such turn).
   */
  status: 'refunded' | 'settled' | 'held' | 'released' | 'privileged' | 'unknown';
  /** Points put back for this turn (by this call or before). */
  pointsRefunded: number;
}
