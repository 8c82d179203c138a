import { proxyActivities } from '@temporalio/workflow';
import type { FollowActivities } from '../activities/follow';
import type { LineMessagingActivities } from '../activities/line-messaging';
import type { LineInboundEvent } from '../domain/line-events';
import { LINE_NOTICE_OPTIONS, UNTIL_BACK_OPTIONS } from './support/activity-options';
import { replyToEvent } from './support/reply';

const users = proxyActivities<FollowActivities>(UNTIL_BACK_OPTIONS);

const line = proxyActivities<LineMessagingActivities>(LINE_NOTICE_OPTIONS);

/** Follow: register (or restore) the user, grant sign-up points once, welcome. Unfollow: soft delete. */
export async function lineFollow(
  event: Extract<LineInboundEvent, { type: 'follow' | 'unfollow' }>,
): Promise<void> {
  if (event.type === 'unfollow') {
    await users.markUnfollowed(event.lineUserId);
    return;
  }
  const { welcome } = await users.registerFollower(event.lineUserId);
  await replyToEvent(line, event, welcome);
}
