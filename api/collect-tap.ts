import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import type { LineInboundEvent } from '../domain/line-events';
import { parseCollectPostbackData } from '../domain/line-ui/postback';
import { collectAnswerSignal, type CollectTap } from '../workflows/chat-turn-collect';
import { chatTurnId } from '../workflows/support/ids';

type Postback = Extract<LineInboundEvent, { type: 'postback' }>;

/**
 * A 「回答を受け取る」 tap (workflows/chat-turn-collect.ts) as the turn takes it: the tap's token,
 * time and IDs, and the turn it names; undefined for any other event (and for a group's: the
 * notice goes only to one-to-one chats).
 */
export function collectTapOf(event: {
  type: string;
}): { turnEventId: string; tap: CollectTap } | undefined {
  if (event.type !== 'postback') return undefined;
  const e = event as Postback & { conversation?: unknown };
  if (e.conversation || !e.replyToken) return undefined;
  const collect = parseCollectPostbackData(e.data);
  if (!collect) return undefined;
  return {
    turnEventId: collect.webhookEventId,
    tap: {
      webhookEventId: e.webhookEventId,
      lineUserId: e.lineUserId,
      replyToken: e.replyToken,
      timestamp: e.timestamp,
    },
  };
}

/**
 * Hands a collect tap to the turn it names, which is running: the user's session is awaiting
 * that turn, so the tap must not wait in the session's queue behind it. False when the event is
 * no tap, or the turn is over (completed or unknown): the session then answers it ("already
 * sent", free). The turn itself checks that the tap is its own user's. Sealed like every
 * payload: the client's data converter carries the payload codec.
 */
export async function signalCollectTap(
  temporal: Client,
  event: { type: string },
  timeoutMs: number,
): Promise<boolean> {
  const collect = collectTapOf(event);
  if (!collect) return false;
  try {
    await temporal.connection.withDeadline(Date.now() + timeoutMs, () =>
      temporal.workflow
        .getHandle(chatTurnId(collect.turnEventId))
        .signal(collectAnswerSignal, collect.tap),
    );
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}
