import { Context } from '@temporalio/activity';

/**
 * The running activity's Context, for code that also runs outside an activity (benchmarks,
 * direct calls from tests, the API): each helper does what makes sense when there is none.
 */
export function currentActivity(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** This attempt's number (1 outside an activity). */
export function activityAttempt(): number {
  return currentActivity()?.info.attempt ?? 1;
}

/** What the last attempt reported by heartbeat (undefined on a first attempt or outside). */
export function lastHeartbeatDetails(): unknown {
  return currentActivity()?.info.heartbeatDetails;
}

/** The workflow that scheduled this activity (null outside an activity). */
export function callingWorkflowId(): string | null {
  return currentActivity()?.info.workflowExecution?.workflowId ?? null;
}

/** Reports progress; outside an activity there is nothing to report to. */
export function heartbeat(details?: unknown): void {
  currentActivity()?.heartbeat(details);
}

/** Stops here (rejects with the cancellation) when the workflow cancelled this activity. */
export async function throwIfCancelled(): Promise<void> {
  const context = currentActivity();
  if (context?.cancellationSignal.aborted) await context.cancelled;
}
