import {
  ActivityFailure,
  condition,
  log,
  proxyLocalActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type { ChatActivities, RefusedEventRef } from '../../activities/chat';
import type { LineEventActivities } from '../../activities/line-events';
import {
  CHAT_STEP_OPTIONS,
  SESSION_BUSY_REPLY_OPTIONS,
  SESSION_CLAIM_OPTIONS,
} from './activity-options';
import { failureTypeOf } from './failures';
import { BUSY_REPLY_BATCH, type WaitingLimits } from './waiting';

/**
 * The queue discipline both session workflows share, the user's (workflows/line-user-session.ts)
 * and a group's (workflows/line-group-session.ts): redeliveries dropped by a bounded seen-ID
 * set and by the event's claim, the waiting caps read once, and the busy replies sent by a loop
 * of their own while the current event runs.
 */

/** How many event IDs a session remembers itself; older redeliveries meet their claim. */
export const SEEN_LIMIT = 500;
/** A session with nothing to do ends; the next event starts a new one (signal-with-start). */
export const IDLE_TIMEOUT_MS = 10 * 60 * 1000;
/** Events handled before continuing as new, well under Temporal's history limits. */
export const EVENTS_PER_RUN = 200;

/** Claims are database writes of a few milliseconds: local, retried while the database is away. */
const events = proxyLocalActivities<LineEventActivities>(SESSION_CLAIM_OPTIONS);
const settings = proxyLocalActivities<ChatActivities>(CHAT_STEP_OPTIONS);
const busy = proxyLocalActivities<ChatActivities>(SESSION_BUSY_REPLY_OPTIONS);

/**
 * The IDs seen (newest last, carried across continue-as-new): `firstTime` is true once per ID
 * among the last SEEN_LIMIT, and remembers it.
 */
export function seenEvents(seen: string[]) {
  const seenSet = new Set(seen);
  return {
    firstTime(webhookEventId: string): boolean {
      if (seenSet.has(webhookEventId)) return false;
      seenSet.add(webhookEventId);
      seen.push(webhookEventId);
      while (seen.length > SEEN_LIMIT) seenSet.delete(seen.shift() as string);
      return true;
    },
  };
}

/** The waiting caps from config/catalog.json; the defaults if the database is away. */
export async function readWaitingLimits(fallback: WaitingLimits): Promise<WaitingLimits> {
  try {
    return await settings.sessionLimits();
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    return fallback;
  }
}

/**
 * Starts the loop that sends the busy replies owed to `refused` (the session pushes to it), in
 * batches, while the current event runs; returns whether all owed are sent (before the session
 * ends or continues as new).
 */
export function startBusyReplies(refused: RefusedEventRef[]): () => boolean {
  let refusing = false;
  void (async (): Promise<never> => {
    for (;;) {
      await condition(() => refused.length > 0);
      refusing = true;
      const refs = refused.splice(0, BUSY_REPLY_BATCH);
      try {
        await busy.refuseWhileBusy({ refs });
      } catch (err) {
        log.error('busy replies gave up', { count: refs.length, errorType: failureTypeOf(err) });
      } finally {
        refusing = false;
      }
    }
  })();
  return () => refused.length === 0 && !refusing;
}

/**
 * Claims the event for this run (processed_events): false when another run has it, or when the
 * claim gave up (the database away for 10 minutes, or the event refused; logged by ID).
 */
export async function claimEvent(event: {
  webhookEventId: string;
  type: string;
}): Promise<boolean> {
  // The run as it started: an operator's Reset gives the execution a new run ID but keeps
  // this one, so the reset run may still answer the events its predecessor had claimed.
  const { workflowId, originalExecutionRunId } = workflowInfo();
  try {
    const { claimed } = await events.claimLineEvent({
      webhookEventId: event.webhookEventId,
      eventType: event.type,
      workflowId,
      runId: originalExecutionRunId,
    });
    return claimed;
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    log.error('event claim gave up; event not handled', {
      webhookEventId: event.webhookEventId,
      errorType: failureTypeOf(err),
    });
    return false;
  }
}
