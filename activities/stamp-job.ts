import { ApplicationFailure } from '@temporalio/activity';
import { StampPermanentError } from '../domain/stamp-failures';
import type { StampDeps } from '../services/stamp-deps';
import { createStampJobBook } from '../services/stamp-job';
import { createStampRenderer, type RenderProgress } from '../services/stamp-render';
import {
  activityAttempt,
  heartbeat,
  lastHeartbeatDetails,
  throwIfCancelled,
} from './support/context';

export type { ConsumeResult, DeliveryContent, RefundResult } from '../services/stamp-job';
export { DELIVERY_LINK_SECONDS } from '../services/stamp-job';

/**
 * Activities of the stamp job workflow (workflows/stamp-job.ts): the services' steps, with the
 * Temporal side added here: a StampPermanentError becomes a non-retryable ApplicationFailure of
 * its type (the workflow refunds at once), rendering heartbeats its progress and stops between
 * stickers when the workflow cancels it. Anything else is retried by Temporal.
 */

/** Heartbeats (with the orders done, so a retry resumes) and cancellation between stickers. */
function renderProgress(withDetails: boolean): RenderProgress {
  const details = lastHeartbeatDetails() as { done?: unknown } | undefined;
  return {
    attempt: activityAttempt(),
    done: Array.isArray(details?.done) ? (details.done as number[]) : [],
    report: (done) => heartbeat(withDetails ? { done } : undefined),
    checkpoint: throwIfCancelled,
  };
}

function asActivity<A extends unknown[], R>(step: (...args: A) => Promise<R>) {
  return async (...args: A): Promise<R> => {
    try {
      return await step(...args);
    } catch (err) {
      if (err instanceof StampPermanentError) {
        throw ApplicationFailure.nonRetryable(err.message, err.type);
      }
      throw err;
    }
  };
}

export function createStampJobActivities(deps: StampDeps) {
  const book = createStampJobBook(deps);
  const renderer = createStampRenderer(deps);
  return {
    consumeStampTicket: asActivity(book.consumeStampTicket),
    composeNoTicketReply: asActivity(book.composeNoTicketReply),
    prepareStampBase: asActivity(renderer.prepareStampBase),
    renderStampStickers: asActivity((input: { queueId: string; orders: number[] }) =>
      renderer.renderStampStickers(input, renderProgress(true)),
    ),
    assembleStampSet: asActivity((input: { queueId: string }) =>
      renderer.assembleStampSet(input, renderProgress(false)),
    ),
    completeStampJob: asActivity(book.completeStampJob),
    stampDeliveryContent: asActivity(book.stampDeliveryContent),
    refundStampTicket: asActivity(book.refundStampTicket),
  };
}

export type StampJobActivities = ReturnType<typeof createStampJobActivities>;
