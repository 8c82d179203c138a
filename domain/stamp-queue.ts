/**
 * The generate queue's life (seed 001 `line_stamp_generate_queues.status`), as pure rules: which
 * status a queue row moves to, and why (`failure_reason`). The stamp services write rows only
 * through these, so every transition is named once and unit-tested (test/unit/stamp-queue).
 *
 *   awaiting_messages ─texts→ queued ─ticket→ processing ─set recorded→ completed
 *        │ cancel / new photo / deadline           │ no ticket        │ permanent failure
 *        ▼                                         ▼                  ▼
 *   cancelled / expired                          failed ◄─────────────┘
 *
 * An HTTP upload arrives complete and starts at `queued`.
 */

import { NO_TICKET } from './stamp-failures';

export type StampQueueStatus =
  'awaiting_messages' | 'queued' | 'processing' | 'completed' | 'failed' | 'cancelled' | 'expired';

/** A status change and its failure_reason (null clears an earlier one). */
export interface StampTransition {
  status: StampQueueStatus;
  failureReason?: string | null;
}

/** The photo waits for the user's texts. */
export const AWAITING_MESSAGES: StampQueueStatus = 'awaiting_messages';

/** failure_reason values the intake writes. */
export const SUPERSEDED = 'SUPERSEDED';
export const CANCELLED_BY_USER = 'CANCELLED_BY_USER';
export const EXPIRED = 'EXPIRED';

const NEXT: Record<StampQueueStatus, readonly StampQueueStatus[]> = {
  awaiting_messages: ['queued', 'cancelled', 'expired'],
  queued: ['processing', 'failed'],
  processing: ['completed', 'failed'],
  // A refund after a no-ticket failure keeps `failed`; completion may be recorded again.
  failed: ['failed'],
  completed: ['completed'],
  cancelled: [],
  expired: [],
};

export function canMove(from: StampQueueStatus, to: StampQueueStatus): boolean {
  return NEXT[from].includes(to);
}

/** A newer photo replaces this one. */
export const supersede = (): StampTransition => ({
  status: 'cancelled',
  failureReason: SUPERSEDED,
});
/** The user said "cancel". */
export const cancelByUser = (): StampTransition => ({
  status: 'cancelled',
  failureReason: CANCELLED_BY_USER,
});
/** The photo waited past its deadline. */
export const expire = (): StampTransition => ({ status: 'expired', failureReason: EXPIRED });
/** The texts are stored: the job may take a ticket. */
export const queue = (): StampTransition => ({ status: 'queued' });
/** A ticket was consumed: the job renders. */
export const startProcessing = (): StampTransition => ({ status: 'processing' });
/** The user had no ticket when the job started. */
export const failForNoTicket = (): StampTransition => ({
  status: 'failed',
  failureReason: NO_TICKET,
});
/** The set is recorded. */
export const complete = (): StampTransition => ({ status: 'completed', failureReason: null });
/** A permanent failure (the reason is kept, at most 500 characters). */
export const fail = (reason: string): StampTransition => ({
  status: 'failed',
  failureReason: reason.slice(0, 500),
});

/** A photo still waiting once its deadline has passed is expired. */
export function isPastDeadline(expiresAt: Date | null, now: Date): boolean {
  return expiresAt !== null && expiresAt.getTime() <= now.getTime();
}

/** The deadline of a photo received at `now`. */
export function photoDeadline(now: Date, ttlMinutes: number): Date {
  return new Date(now.getTime() + ttlMinutes * 60_000);
}

/** What the queue row says about taking a ticket for its job. */
export type TicketStep =
  { step: 'reuse' } | { step: 'no-ticket' } | { step: 'not-runnable' } | { step: 'take' };

/**
 * Consuming a ticket, decided from the (locked) row: a live consumption is reused (a retry), a
 * job that already failed for want of a ticket stays so, only a `queued` job with messages and
 * no consumption takes one.
 */
export function ticketStep(row: {
  status: StampQueueStatus;
  failureReason: string | null;
  consumption: { deletedAt: Date | null } | null;
  messages: number;
}): TicketStep {
  if (row.status === 'completed') return { step: 'not-runnable' };
  if (row.consumption && !row.consumption.deletedAt) return { step: 'reuse' };
  if (row.status === 'failed' && row.failureReason === NO_TICKET) return { step: 'no-ticket' };
  if (row.status !== 'queued' || row.consumption || row.messages === 0) {
    return { step: 'not-runnable' };
  }
  return { step: 'take' };
}
