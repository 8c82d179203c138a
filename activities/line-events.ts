import type { Db } from '../lib/db';

export interface LineEventClaim {
  webhookEventId: string;
  eventType: string;
  workflowId: string;
  /** The claiming run's original execution run ID (kept across resets). */
  runId: string;
}

export function createLineEventActivities({ db }: { db: Db }) {
  return {
    /**
     * Claims a LINE event for the session run about to handle it (`runId`: the run ID the
     * execution started with, which an operator's Reset keeps). The first run to claim an
     * event owns it for good: a replay of that run (a worker died mid-turn and the turn runs
     * again, or the run was reset) is told to go on, while a redelivery reaching a later run
     * (the session had ended or continued as new and forgot the event ID) is told it was
     * handled already.
     */
    async claimLineEvent(claim: LineEventClaim): Promise<{ claimed: boolean }> {
      await db.processedEvent.createMany({
        data: [
          {
            source: 'line',
            eventId: claim.webhookEventId,
            eventType: claim.eventType,
            workflowId: claim.workflowId,
            runId: claim.runId,
          },
        ],
        skipDuplicates: true,
      });
      const owner = await db.processedEvent.findUniqueOrThrow({
        where: { source_eventId: { source: 'line', eventId: claim.webhookEventId } },
        select: { workflowId: true, runId: true },
      });
      return { claimed: owner.workflowId === claim.workflowId && owner.runId === claim.runId };
    },
  };
}

export type LineEventActivities = ReturnType<typeof createLineEventActivities>;
