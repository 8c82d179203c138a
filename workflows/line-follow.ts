import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { FollowActivities } from '../activities/follow';
import type { LineMessagingActivities } from '../activities/line-messaging';
import type { LineInboundEvent } from '../domain/line-events';

const users = proxyActivities<FollowActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

const line = proxyActivities<LineMessagingActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 10 },
});

/** Follow: register (or restore) the user, grant sign-up points once, welcome. Unfollow: soft delete. */
export async function lineFollow(
  event: Extract<LineInboundEvent, { type: 'follow' | 'unfollow' }>,
): Promise<void> {
  if (event.type === 'unfollow') {
    await users.markUnfollowed(event.lineUserId);
    return;
  }
  const { welcome } = await users.registerFollower(event.lineUserId);
  await line.deliverMessages({
    lineUserId: event.lineUserId,
    texts: welcome,
    replyToken: event.replyToken,
    eventTimestamp: event.timestamp,
    deliveryId: workflowInfo().workflowId,
  });
}
