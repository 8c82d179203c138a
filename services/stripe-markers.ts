import type { Tx } from '../lib/db';

/**
 * Markers in processed_events (source "stripe"), our dedupe table for Stripe: besides the
 * events themselves, it records decisions that must outlive one event.
 */

/** Marks a subscription whose end is final: a late event must not bring its plan back. */
export const subscriptionEndedMarker = (subscriptionId: string) =>
  `subscription-ended:${subscriptionId}`;

/** Marks a refund whose tickets were revoked (tickets have no ledger to hold the key). */
export const ticketRevocationMarker = (sourceRef: string) => `tickets-revoked:${sourceRef}`;

export async function hasMarker(tx: Tx, eventId: string): Promise<boolean> {
  const row = await tx.processedEvent.findUnique({
    where: { source_eventId: { source: 'stripe', eventId } },
    select: { id: true },
  });
  return row !== null;
}

/** Adds the marker once; `workflowId` names the workflow that decided (null outside one). */
export async function addMarker(
  tx: Tx,
  marker: { eventId: string; eventType: string; workflowId: string | null },
): Promise<void> {
  await tx.processedEvent.createMany({
    data: [{ source: 'stripe', ...marker }],
    skipDuplicates: true,
  });
}
