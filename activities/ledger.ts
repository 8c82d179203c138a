import { ApplicationFailure } from '@temporalio/activity';
import { isBusinessError } from '../domain/errors';
import { createLedger, type Ledger, type LedgerDeps } from '../ledger/store';
import type {
  AdjustPointsInput,
  AdjustPointsResult,
  BalanceView,
  GrantPointsInput,
  GrantPointsResult,
  ReleaseStaleHoldsInput,
  ReleaseStaleHoldsResult,
  ReleaseTurnInput,
  ReleaseTurnResult,
  ReserveTurnInput,
  ReserveTurnResult,
  SettleTurnInput,
  SettleTurnResult,
  UsageResponse,
} from '../ledger/types';

/** Either a ledger to share (e.g. with the chat activities) or what it takes to make one. */
export type LedgerActivityDeps = (LedgerDeps | { ledger: Ledger }) & {
  /** Called for each business error (e.g. `metrics.businessErrors.inc({ code })`). */
  onBusinessError?: (code: string) => void;
};

/**
 * The ledger operations as Temporal activities (plain async functions closed over their
 * dependencies, as in temporalio/samples-typescript).
 *
 * Failures: a BusinessError becomes an ApplicationFailure whose `type` is its code and whose
 * `details[0]` is its details object (`resetTime`, `remaining`, `required`, `available`, ...),
 * so a workflow can tell the user why and until when. It is non-retryable, except
 * SYSTEM_ERROR (an inconsistency worth another attempt). Anything else (database down, pool
 * timeout, deadlock) is rethrown as is and retried by the activity's retry policy; every
 * operation is idempotent by its key, so a retry never doubles an effect.
 *
 * Instants travel as ISO 8601 strings (Temporal's JSON payloads); the ledger accepts both.
 * `settleTurn` here has no in-transaction callback (a function cannot cross a payload): code
 * that must write more rows atomically with the settlement calls the ledger directly.
 */
export function createLedgerActivities(deps: LedgerActivityDeps) {
  const ledger = 'ledger' in deps ? deps.ledger : createLedger(deps);
  const run = async <T>(op: () => Promise<T>): Promise<T> => {
    try {
      return await op();
    } catch (err) {
      throw toFailure(err, deps.onBusinessError);
    }
  };

  return {
    async reserveTurn(input: ReserveTurnInput): Promise<ReserveTurnResult> {
      return run(() => ledger.reserveTurn(input));
    },
    async settleTurn(input: SettleTurnInput): Promise<SettleTurnResult> {
      return run(() => ledger.settleTurn(input));
    },
    async releaseTurn(input: ReleaseTurnInput): Promise<ReleaseTurnResult> {
      return run(() => ledger.releaseTurn(input));
    },
    async grantPoints(input: GrantPointsInput): Promise<GrantPointsResult> {
      return run(() => ledger.grantPoints(input));
    },
    async adjustPoints(input: AdjustPointsInput): Promise<AdjustPointsResult> {
      return run(() => ledger.adjustPoints(input));
    },
    async getUsage(input: { userId: string }): Promise<UsageResponse> {
      return run(() => ledger.getUsage(input?.userId));
    },
    async getBalance(input: { userId: string }): Promise<BalanceView> {
      return run(() => ledger.getBalance(input?.userId));
    },
    async replayCheck(input: { userId: string }): Promise<string[]> {
      return run(() => ledger.replayCheck(input?.userId));
    },
    async releaseStaleHolds(input: ReleaseStaleHoldsInput): Promise<ReleaseStaleHoldsResult> {
      return run(() => ledger.releaseStaleHolds(input));
    },
  };
}

export type LedgerActivities = ReturnType<typeof createLedgerActivities>;

/** BusinessError → typed ApplicationFailure; anything else unchanged (retryable). */
export function toFailure(err: unknown, onBusinessError?: (code: string) => void): unknown {
  if (!isBusinessError(err)) return err;
  onBusinessError?.(err.code);
  return ApplicationFailure.create({
    type: err.code,
    message: err.message,
    details: [{ ...err.details }],
    nonRetryable: !err.retryable,
  });
}
