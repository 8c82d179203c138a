import { ParentClosePolicy, patched, startChild, uuid4 } from '@temporalio/workflow';
import { workSearchAttributes } from '../config/task-queues';
import type { LineInboundEvent } from '../domain/line-events';
import {
  PHOTO_EXPIRY_IN_SESSION,
  replyWithMessages,
  STAMP_STYLE_CHOICE,
  stampProxies,
} from './stamp-proxies';
import { stampPhotoExpiryWorkflowId } from './support/ids';
import { replyToEvent } from './support/reply';

export type StampPhotoEvent = Extract<LineInboundEvent, { type: 'image' }>;

export type StampPhotoIntakeResult =
  { accepted: true; queueId: string; expiresAt: string } | { accepted: false; reason: string };

/**
 * A LINE image message becomes a pending stamp photo: downloaded from the data API, validated
 * (size, format, pixel limit, decodable), stored in S3, queue row `awaiting_messages` with
 * `expires_at`; the bot asks for the texts. A bad photo gets a reply saying why and nothing is
 * kept. The LINE session that awaits it keeps the photo's deadline (and expires it then). Reply with the event's reply token while valid, else push; since STAMP_STYLE_CHOICE the reply carries the
 * four looks as quick-reply buttons.
 */
export async function stampPhotoIntake(event: StampPhotoEvent): Promise<StampPhotoIntakeResult> {
  const { intake, line, taskQueue } = stampProxies();
  // Deterministic on replay; the activity is idempotent by this ID.
  const queueId = uuid4();
  const styleChoice = patched(STAMP_STYLE_CHOICE);
  const result = await intake.acceptStampPhoto({
    queueId,
    lineUserId: event.lineUserId,
    messageId: event.messageId,
    contentProvider: event.contentProvider,
    ...(styleChoice ? { styleChoice } : {}),
  });
  if (result.accepted && !patched(PHOTO_EXPIRY_IN_SESSION)) {
    // Histories from before the session kept the deadline: the separate timer workflow (by
    // type name: it is no longer registered).
    await startChild('stampPhotoExpiry', {
      workflowId: stampPhotoExpiryWorkflowId(result.queueId),
      taskQueue,
      args: [
        { queueId: result.queueId, expiresAt: result.expiresAt, lineUserId: event.lineUserId },
      ],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      typedSearchAttributes: workSearchAttributes(event.lineUserId, 'stamp'),
    });
  }
  if (result.accepted && result.replyMessages) {
    await replyWithMessages(line, event, result.replyMessages);
  } else {
    await replyToEvent(line, event, [result.reply]);
  }
  return result.accepted
    ? { accepted: true, queueId: result.queueId, expiresAt: result.expiresAt }
    : { accepted: false, reason: result.reason };
}
