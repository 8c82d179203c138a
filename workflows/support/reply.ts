import { workflowInfo } from '@temporalio/workflow';
import type { LineMessagingActivities } from '../../activities/line-messaging';
import type { LineInboundEvent } from '../../domain/line-events';

type Line = Pick<LineMessagingActivities, 'deliverMessages'>;

/**
 * Answers a LINE event: with its reply token while LINE still accepts it, else by push
 * (activities/line-messaging.ts decides). The delivery ID, by default the running workflow's
 * ID, makes a repeated delivery a no-op.
 */
export function replyToEvent(
  line: Line,
  event: Pick<LineInboundEvent, 'lineUserId' | 'timestamp'> & { replyToken?: string },
  texts: string[],
  deliveryId: string = workflowInfo().workflowId,
) {
  return line.deliverMessages({
    lineUserId: event.lineUserId,
    texts,
    replyToken: event.replyToken,
    eventTimestamp: event.timestamp,
    deliveryId,
  });
}
