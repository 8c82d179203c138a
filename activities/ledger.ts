import { ApplicationFailure } from '@temporalio/activity';
import { isBusinessError } from '../domain/errors';
import { createLedger, type Ledger, type LedgerDeps } from '../ledger/store';
import type {
  ReleaseTurnInput,
  ReleaseTurnResult,
  ReserveTurnInput,
  ReserveTurnResult,
} from '../ledger/types';

/** Either a ledger to share (e.g. with the chat activities) or what it takes to make one. */
export type LedgerActivityDeps = (LedgerDeps | { ledger: Ledger }) & {
  /** Called for each business error (e.g. `metrics.businessErrors.inc({ code })`). */
  onBusinessError?: (code: string) => void;
};

/**
 * The ledger operations a workflow runs as Temporal activities: a chat turn's reserve and its
 * compensation (settlement goes through the chat activities, grants through billing and admin,
 * which call the ledger directly).
 *
 * Failures: a BusinessError becomes an ApplicationFailure whose `type` is its code and whose
 * `details[0]` is its details object (`resetTime`, `remaining`, `required`, `available`, ...),
 * so a workflow can tell the user why and until when. It is non-retryable, except
 * SYSTEM_ERROR (an inconsistency worth another attempt). Anything else (database down, pool
 * timeout, deadlock) is rethrown as is and retried by the activity's retry policy; every
 * operation is idempotent by its key, so a retry never doubles an effect.
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
    async releaseTurn(input: ReleaseTurnInput): Promise<ReleaseTurnResult> {
      return run(() => ledger.releaseTurn(input));
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
