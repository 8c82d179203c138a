/**
 * Workflow IDs (and the delivery IDs derived from them): each is a business key, so starting
 * the same work twice meets the first run (REJECT_DUPLICATE) instead of doing it again. Pure,
 * so the API, tests and benchmarks build the same IDs as the workflows.
 */

/** The LINE user's session (signal-with-start from the webhook). */
export function sessionWorkflowId(lineUserId: string): string {
  return `line-user-${lineUserId}`;
}

/**
 * A group's or room's session (signal-with-start from the inbox relay): its members' turns are
 * answered one at a time, in the group's order.
 */
export function conversationSessionWorkflowId(conversation: {
  kind: 'group' | 'room';
  id: string;
}): string {
  return `line-${conversation.kind}-${conversation.id}`;
}

/** A chat turn runs inside the session; its ID is the idempotency key of every effect. */
export function chatTurnId(webhookEventId: string): string {
  return `chat-${webhookEventId}`;
}

/** The child workflows a session starts for one LINE event, named after the event. */
export type EventChildKind = 'follow' | 'unfollow' | 'stamp-photo' | 'stamp-cancel' | 'stamp-texts';

export function eventChildWorkflowId(kind: EventChildKind, webhookEventId: string): string {
  return `${kind}-${webhookEventId}`;
}

/** One workflow per Stripe event: a redelivered event is a no-op. */
export function stripeEventWorkflowId(eventId: string): string {
  return `stripe-${eventId}`;
}

/** One workflow per operator's point request (the request ID is also the ledger source). */
export function adminPointsWorkflowId(requestId: string): string {
  return `admin-points-${requestId}`;
}

/** The LINE notice of an operator's point grant or take-back, one per request. */
export function adminPointsNoticeWorkflowId(requestId: string): string {
  return `admin-points-notice-${requestId}`;
}

/** The LINE notice of an operator's plan change, one per change (its audit row's ID). */
export function adminPlanNoticeWorkflowId(auditId: string): string {
  return `admin-plan-notice-${auditId}`;
}

// The stamp workflows' IDs live with the rest of a job's keys (the activities write them in
// the queue row too).
export { stampJobWorkflowId, stampPhotoExpiryWorkflowId } from '../../domain/stamp-keys';
