import {
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  log,
  patched,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { DeliverImage } from '../activities/line-messaging';
import { LineUserIdKey, WorkKindKey } from '../config/task-queues';
import { NO_TICKET } from '../domain/stamp-failures';
import { jobFailedText } from '../domain/stamp-texts';
import { stampProxies } from './stamp-proxies';
import { applicationFailureOf, failureCause, failureTypeOf } from './support/failures';

export interface StampJobInput {
  /** line_stamp_generate_queues.id; the workflow ID is `stamp-<queueId>` (stampJobWorkflowId). */
  queueId: string;
  /** Who to tell on LINE; read from the queue's user when absent. */
  lineUserId?: string;
  /** 'line': push the result (or the failure) to the user; 'none': the caller polls. */
  deliver: 'line' | 'none';
}

export interface StampJobResult {
  queueId: string;
  status: 'completed' | 'failed';
  /** Why it failed: NO_TICKET, or NOT_RUNNABLE:<status> for a queue not in `queued`. */
  reason?: string;
  stickers?: number;
  delivered?: boolean;
}

/** patched() marker of the step that sends each sticker as an image message (issue #15). */
export const STICKER_IMAGES_PATCH = 'stamp-sticker-images';

/** Stickers per render activity: small batches run in parallel and retry on their own. */
export const STICKERS_PER_ACTIVITY = 5;

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function describeFailure(err: unknown): string {
  const failure = applicationFailureOf(err);
  if (failure) return `${failure.type ?? 'ERROR'}: ${failure.message}`;
  if (isCancellation(err)) return 'CANCELLED';
  const cause = failureCause(err);
  return cause instanceof Error ? cause.message : String(cause);
}

/**
 * One stamp job (seed 001): consume a ticket → read EXIF → render one sticker per message →
 * main, tab, ZIP → record the set and mark the queue consumed → deliver (the ZIP link, main
 * image and sheet, then every sticker as an image message).
 *
 * Exactly once in effect: the ticket consumption is unique per queue, objects have fixed keys,
 * rows are unique per (queue, image_uri), so replays and retries repeat nothing. Rendering is
 * split into small heartbeating activities; a crashed worker's batch resumes where it stopped.
 *
 * Saga: once the ticket is consumed, a permanent failure (or an operator's cancel) gives it back
 * (refund: consumption soft-deleted, replacement ticket `refund:<queueId>`), deletes the partial
 * output and tells the user; the workflow then fails so operators see it in the Web UI.
 */
export async function stampJob(input: StampJobInput): Promise<StampJobResult> {
  const trace: StampJobTrace = {};
  try {
    const result = await runStampJob(input, trace);
    logFinishedJob(input, trace, result.status, {
      ...(result.reason ? { reason: reasonCode(result.reason) } : {}),
      ...(result.delivered !== undefined ? { delivered: result.delivered } : {}),
    });
    return result;
  } catch (err) {
    logFinishedJob(input, trace, isCancellation(err) ? 'cancelled' : 'failed', {
      reason: trace.failureType ?? failureTypeOf(err),
    });
    throw err;
  }
}

/** The message of the one log line each finished sticker job writes. */
export const STAMP_JOB_FINISHED = 'sticker job finished';

/** What the job learnt on its way, for its closing log line. */
interface StampJobTrace {
  stickers?: number;
  failureType?: string;
  ticketRefunded?: boolean;
}

/** NOT_RUNNABLE:<status> → NOT_RUNNABLE; codes only, never a failure's message. */
function reasonCode(reason: string): string {
  return reason.split(':')[0] ?? reason;
}

/**
 * One line per finished job: outcome, sticker count, ticket, duration and the job's ID (the SDK
 * adds workflowId and runId). Never the captions or a failure's message. `log` is dropped while
 * the workflow replays and emits no command, so it needs no patch.
 */
function logFinishedJob(
  input: StampJobInput,
  trace: StampJobTrace,
  outcome: 'completed' | 'failed' | 'cancelled',
  extra: { reason?: string; delivered?: boolean },
): void {
  log.info(STAMP_JOB_FINISHED, {
    queueId: input.queueId,
    outcome,
    stickers: trace.stickers ?? 0,
    ...extra,
    ...(trace.ticketRefunded !== undefined ? { ticketRefunded: trace.ticketRefunded } : {}),
    durationMs: Date.now() - workflowInfo().startTime.getTime(),
  });
}

async function runStampJob(input: StampJobInput, trace: StampJobTrace): Promise<StampJobResult> {
  const { queueId } = input;
  const { db, intake, render, mustFinish, line } = stampProxies();
  const workflowId = workflowInfo().workflowId;

  const consumed = await db.consumeStampTicket({ queueId, workflowId });
  if (consumed.outcome === 'consumed') trace.stickers = consumed.orders.length;
  const lineUserId = input.lineUserId ?? consumed.lineUserId;
  if (lineUserId && workflowInfo().typedSearchAttributes.get(LineUserIdKey) === undefined) {
    upsertSearchAttributes([
      { key: LineUserIdKey, value: lineUserId },
      { key: WorkKindKey, value: 'stamp' },
    ]);
  }

  const notify = async (part: string, texts: string[], images?: DeliverImage[]) => {
    if (input.deliver !== 'line' || !lineUserId) return false;
    try {
      await line.deliverMessages({
        lineUserId,
        texts,
        images,
        deliveryId: `${workflowId}:${part}`,
      });
      return true;
    } catch (err) {
      log.warn('stamp job: LINE delivery failed', { queueId, part, error: describeFailure(err) });
      return false;
    }
  };

  if (consumed.outcome === 'not-runnable') {
    log.warn('stamp job: queue is not runnable', { queueId, status: consumed.status });
    return { queueId, status: 'failed', reason: `NOT_RUNNABLE:${consumed.status}` };
  }
  if (consumed.outcome === 'no-ticket') {
    await notify('no-ticket', [await db.composeNoTicketReply({ userId: consumed.userId })]);
    return { queueId, status: 'failed', reason: NO_TICKET };
  }

  try {
    await intake.prepareStampBase({ queueId });
    const batches = chunk(consumed.orders, STICKERS_PER_ACTIVITY).map((orders) =>
      render.renderStampStickers({ queueId, orders }),
    );
    // Every batch settles before anything else happens: no render may still be writing objects
    // while a failure is being compensated.
    const settled = await Promise.allSettled(batches);
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    await render.assembleStampSet({ queueId });
    await mustFinish.completeStampJob({ queueId });
  } catch (err) {
    const reason = describeFailure(err);
    const refund = await CancellationScope.nonCancellable(() =>
      mustFinish.refundStampTicket({ queueId, reason }),
    );
    trace.failureType = isCancellation(err) ? 'CANCELLED' : failureTypeOf(err);
    trace.ticketRefunded = refund.refunded;
    if (!refund.completed) {
      await CancellationScope.nonCancellable(() =>
        notify('failed', [jobFailedText(refund.refunded)]),
      );
      if (isCancellation(err)) throw err;
      throw ApplicationFailure.nonRetryable(
        `stamp job ${queueId} failed: ${reason}`,
        'STAMP_JOB_FAILED',
        {
          queueId,
          reason,
          refunded: refund.refunded,
        },
      );
    }
  }

  let delivered = false;
  if (input.deliver === 'line' && lineUserId) {
    const content = await db.stampDeliveryContent({ queueId });
    delivered = await notify('delivery', content.texts, content.images);
    // Each sticker also comes back as an image message (at most 5 per LINE request), so a set
    // can be seen and saved on the phone without the ZIP. Histories from before: no such step.
    if (patched(STICKER_IMAGES_PATCH) && content.stickers && content.stickers.length > 0) {
      const sent = await notify('stickers', [], content.stickers);
      delivered = delivered && sent;
    }
  }
  return { queueId, status: 'completed', stickers: consumed.orders.length, delivered };
}
