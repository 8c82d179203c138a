import type { ActivityOptions } from '@temporalio/common';
import type { ErrorCode } from '../domain/errors';

/**
 * Recommended options for proxying the ledger activities (activities/ledger.ts) from workflow
 * code. Type imports only, so the workflow bundle pulls in no Node module.
 *
 *   const ledger = proxyActivities<LedgerActivities>(LEDGER_ACTIVITY_OPTIONS);
 *   const settle = proxyActivities<LedgerActivities>(LEDGER_SETTLE_ACTIVITY_OPTIONS);
 */

/**
 * Failure types that are decisions, not accidents: the activities throw them as non-retryable
 * ApplicationFailures already; listing them here also stops a retry if one ever arrives as a
 * retryable failure. SYSTEM_ERROR (and any infrastructure error) is retried.
 */
export const LEDGER_NON_RETRYABLE_TYPES = [
  'USAGE_LIMIT_EXCEEDED',
  'PLAN_RESTRICTION',
  'INSUFFICIENT_POINTS',
  'INVALID_INPUT',
  'UNKNOWN_USER',
  'UNKNOWN_MODEL',
] as const satisfies readonly Exclude<ErrorCode, 'SYSTEM_ERROR'>[];

/**
 * Reserve, release and the queries. A ledger transaction gives up after 20 s (lock queue
 * included, see ledger/store.ts), well within the 30 s start-to-close, so an attempt that timed
 * out has rolled back before the next one starts. Retried for up to 2 minutes: a user is
 * waiting for the reply, and a turn that cannot reserve should apologise rather than hang.
 */
export const LEDGER_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '2 minutes',
  retry: {
    initialInterval: '200 milliseconds',
    backoffCoefficient: 2,
    maximumInterval: '10 seconds',
    nonRetryableErrorTypes: [...LEDGER_NON_RETRYABLE_TYPES],
  },
};

/**
 * Settlement and grants: the model has answered or the customer has paid, so the effect must
 * land; retried without limit (idempotent by turn ID / source ref) until the database is back.
 */
export const LEDGER_SETTLE_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: [...LEDGER_NON_RETRYABLE_TYPES],
  },
};
