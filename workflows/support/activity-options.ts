import type { ActivityOptions, LocalActivityOptions, RetryPolicy } from '@temporalio/common';
import type { ErrorCode } from '../../domain/errors';

/**
 * Activity options and retry policies for the workflows, declared once. Type imports only, so
 * the workflow bundle pulls in no Node module (test/integration/ledger-activities checks it).
 *
 *   const ledger = proxyActivities<LedgerActivities>(LEDGER_ACTIVITY_OPTIONS);
 *   const line = proxyActivities<LineMessagingActivities>(LINE_REPLY_OPTIONS);
 */

/** Backoff 1 s → 30 s without a limit: for steps that must happen once their dependency is back. */
export const RETRY_UNTIL_BACK: RetryPolicy = {
  initialInterval: '1 second',
  maximumInterval: '30 seconds',
};

/** A database write of a few milliseconds (claims, registrations, settlements): until it lands. */
export const UNTIL_BACK_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: RETRY_UNTIL_BACK,
};

/** The same options, giving up after `maximumAttempts`. */
export function upTo(
  maximumAttempts: number,
  options: ActivityOptions = UNTIL_BACK_OPTIONS,
): ActivityOptions {
  return { ...options, retry: { ...options.retry, maximumAttempts } };
}

/**
 * LINE Messaging API deliveries (activities/line-messaging.ts). The bounds are the ones each
 * caller had: 20 attempts (about 8 minutes) for the answer to something the user just did
 * (a chat turn, the stamp steps), 10 (about 3 minutes) for what the user did not ask for right
 * now (the follow welcome, a billing notice), which the workflow can give up on.
 */
export const LINE_REPLY_OPTIONS = upTo(20);
export const LINE_NOTICE_OPTIONS = upTo(10);

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

/** Backoff 1 s → 1 min without a limit, for effects that must land (grants, settlements). */
export function retryUntilDone(nonRetryableErrorTypes: readonly string[]): RetryPolicy {
  return {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: [...nonRetryableErrorTypes],
  };
}

/**
 * Settlement and grants: the model has answered or the customer has paid, so the effect must
 * land; retried without limit (idempotent by turn ID / source ref) until the database is back.
 */
export const LEDGER_SETTLE_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: retryUntilDone(LEDGER_NON_RETRYABLE_TYPES),
};

/** The same options for a local activity (what a local activity accepts of them). */
export function local(options: ActivityOptions): LocalActivityOptions {
  const { startToCloseTimeout, scheduleToCloseTimeout, retry } = options;
  return { startToCloseTimeout, scheduleToCloseTimeout, retry };
}

/*
 * Chat path bounds (issue #12: nothing in a session may retry for ever). Deterministic errors
 * are non-retryable already (activities/support/failures.ts); these bound what is left, so a
 * turn that cannot complete apologises within minutes and the session takes the next message.
 */

/** A chat turn's quick database steps (prepare, command, apology text): up to 2 minutes. */
export const CHAT_STEP_OPTIONS: LocalActivityOptions = {
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '2 minutes',
  retry: {
    initialInterval: '200 milliseconds',
    backoffCoefficient: 2,
    maximumInterval: '10 seconds',
    maximumAttempts: 12,
  },
};

/**
 * A turn's settlement and its hold's release: they should land once the database is back, but
 * not for ever: after 10 minutes the turn ends as failed (a hold left behind is ended by the
 * ledger's stale-hold sweep).
 */
export const CHAT_LEDGER_WRITE_OPTIONS: LocalActivityOptions = {
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '10 minutes',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    nonRetryableErrorTypes: [...LEDGER_NON_RETRYABLE_TYPES],
  },
};

/** The apology of a failed turn: a few quick attempts; if even that fails, it is logged. */
export const CHAT_APOLOGY_OPTIONS: LocalActivityOptions = {
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds', maximumAttempts: 5 },
};

/** The session's event claim: until the database is back, within 10 minutes. */
export const SESSION_CLAIM_OPTIONS: LocalActivityOptions = {
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '10 minutes',
  retry: RETRY_UNTIL_BACK,
};

/** The busy replies to a flood's overflow: one batch, a few attempts (each reply is keyed). */
export const SESSION_BUSY_REPLY_OPTIONS: LocalActivityOptions = {
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '3 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '20 seconds', maximumAttempts: 4 },
};
