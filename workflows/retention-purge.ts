import { continueAsNew, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { RetentionActivities } from '../activities/retention';
import { RETENTION_TARGETS, type RetentionTarget } from '../domain/retention-targets';

/**
 * The daily retention purge (started by the `retention-purge` schedule, ops/schedules.ts; the
 * rules are in activities/retention.ts). Each target is deleted in bounded batches until a
 * batch comes back short; a very large backlog continues as a new run with the same `now`, so
 * the history stays small and the cutoffs do not move.
 */

export interface RetentionPurgeInput {
  /** ISO 8601 instant to count the retention periods from; default: the worker's clock. */
  now?: string | null;
  /** Rows per DELETE (users per DELETE for soft-deleted users). Default 500. */
  batchSize?: number;
}

export interface RetentionPurgeResult {
  now: string;
  cutoffs: Record<RetentionTarget, string>;
  deleted: Record<RetentionTarget, number>;
  staleHoldsReleased: number;
}

/** Deleting a soft-deleted user deletes everything it owns: fewer per batch. */
const USER_BATCH_DIVISOR = 10;
/** Activities per run before continuing as new (keeps the history well under its limits). */
const MAX_BATCHES_PER_RUN = 500;

const retention = proxyActivities<RetentionActivities>({
  startToCloseTimeout: '2 minutes',
  retry: {
    initialInterval: '5 seconds',
    backoffCoefficient: 2,
    maximumInterval: '5 minutes',
    maximumAttempts: 10,
    nonRetryableErrorTypes: ['INVALID_INPUT'],
  },
});

export async function retentionPurge(
  input: RetentionPurgeInput = {},
): Promise<RetentionPurgeResult> {
  const batchSize = input.batchSize ?? 500;
  const plan = await retention.retentionPlan({ now: input.now ?? null });
  const deleted = Object.fromEntries(RETENTION_TARGETS.map((t) => [t, 0])) as Record<
    RetentionTarget,
    number
  >;
  let batches = 0;
  const budgetLeft = () => batches < MAX_BATCHES_PER_RUN && !workflowInfo().continueAsNewSuggested;

  let more = false;
  for (const target of RETENTION_TARGETS) {
    // The LINE inbox came later: a run recorded before it goes on without it (replay-safe),
    // and so does a run whose plan came from a worker that did not know it yet.
    if (
      target === 'line_inbox_events' &&
      (!patched('retention-line-inbox') || !plan.cutoffs.line_inbox_events)
    )
      continue;
    const limit =
      target === 'deleted_users'
        ? Math.max(1, Math.floor(batchSize / USER_BATCH_DIVISOR))
        : batchSize;
    for (;;) {
      if (!budgetLeft()) {
        more = true;
        break;
      }
      batches++;
      const { deleted: n } = await retention.purgeRetentionBatch({ target, plan, limit });
      deleted[target] += n;
      if (n < limit) break;
    }
  }

  let staleHoldsReleased = 0;
  while (!more) {
    if (!budgetLeft()) {
      more = true;
      break;
    }
    batches++;
    const { released } = await retention.releaseStaleHoldsBatch({
      olderThan: plan.staleHoldsBefore,
      limit: batchSize,
    });
    staleHoldsReleased += released;
    if (released < batchSize) break;
  }

  // A backlog larger than one run's budget: the rest in a new run, same cutoffs.
  if (more) await continueAsNew<typeof retentionPurge>({ now: plan.now, batchSize });
  return { now: plan.now, cutoffs: plan.cutoffs, deleted, staleHoldsReleased };
}
