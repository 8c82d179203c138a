import type { Db } from '../lib/db';
import { withFailureClassification } from './support/failures';

export interface LineEventClaim {
  webhookEventId: string;
  eventType: string;
  workflowId: string;
  /** The claiming run's original execution run ID (kept across resets). */
  runId: string;
}

export function createLineEventActivities({ db }: { db: Db }) {
  return withFailureClassification({
    /**
     * Claims a LINE event for the session run about to handle it (`runId`: the run ID the
     * execution started with, which an operator's Reset keeps). The first run to claim an
     * event owns it for good: a replay of that run (a worker died mid-turn and the turn runs
     * again, or the run was reset) is told to go on, while a redelivery reaching a later run
     * (the session had ended or continued as new and forgot the event ID) is told it was
     * handled already.
     */
    async claimLineEvent(claim: LineEventClaim): Promise<{ claimed: boolean }> {
      // One statement: insert the claim, or (the no-op update) return the row already there.
      const [owner] = await db.$queryRaw<Array<{ workflow_id: string; run_id: string }>>`
        INSERT INTO processed_events (id, source, event_id, event_type, workflow_id, run_id)
        VALUES (gen_random_uuid(), 'line', ${claim.webhookEventId}, ${claim.eventType},
                ${claim.workflowId}, ${claim.runId})
        ON CONFLICT (source, event_id) DO UPDATE SET source = processed_events.source
        RETURNING workflow_id, run_id`;
      return {
        claimed: owner?.workflow_id === claim.workflowId && owner?.run_id === claim.runId,
      };
    },
  });
}

export type LineEventActivities = ReturnType<typeof createLineEventActivities>;
