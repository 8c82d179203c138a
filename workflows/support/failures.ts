import { ActivityFailure, ApplicationFailure } from '@temporalio/common';

/**
 * What an activity failure was about: the error beneath Temporal's ActivityFailure wrapper (or
 * the error itself when it is not wrapped). From @temporalio/common only, so the API may use it
 * too (after taking a failed workflow's `cause`).
 */
export function failureCause(err: unknown): unknown {
  return err instanceof ActivityFailure ? err.cause : err;
}

/** The business failure (type = error code, details[0] = its details) behind `err`, if any. */
export function applicationFailureOf(err: unknown): ApplicationFailure | undefined {
  const cause = failureCause(err);
  return cause instanceof ApplicationFailure ? cause : undefined;
}

/** For logs and metrics: a business failure's type, else the underlying error's name. */
export function failureTypeOf(err: unknown): string {
  const failure = applicationFailureOf(err);
  if (failure?.type) return failure.type;
  const cause = failureCause(err);
  return cause instanceof Error ? cause.name : 'Error';
}
