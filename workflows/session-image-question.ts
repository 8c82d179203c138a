import { ActivityFailure, log, proxyLocalActivities } from '@temporalio/workflow';
import type { ImageQuestionActivities } from '../activities/image-question';
import { isImageQuestionRequest } from '../domain/image-question';
import type { LineInboundEvent } from '../domain/line-events';
import { parseStyleChoice } from '../domain/stamp-style-choice';
import type { ChatTurnInput } from './chat-turn';
import { SESSION_BUSY_REPLY_OPTIONS } from './support/activity-options';

/**
 * A question about the waiting photo (issue #14), the session's part: while a stamp photo waits,
 * 「この画像について質問」 switches it to question mode (a free prompt), and each text after that
 * is a chat turn on the plan's vision tier about the photo (workflows/chat-turn.ts `image`), until
 * the photo expires, is cancelled or replaced, or a look (スタイル:…) switches back to the
 * sticker. Only the photo's queue ID travels: the model step loads the photo itself.
 */

/** The waiting photo as the session keeps it (workflows/session-events.ts PendingStampPhoto). */
export interface QuestionablePhoto {
  queueId: string;
  /** ISO 8601 */
  expiresAt: string;
  /** What the user's next texts are: sticker texts (the default) or questions about the photo. */
  mode?: 'stamp' | 'question';
}

/**
 * Patch: while a photo waits, 「この画像について質問」 and the texts after it are questions about
 * the photo. In runs from before they were the photo's sticker texts, and must replay as such.
 */
export const IMAGE_QUESTION = 'image-question';

type TextEvent = Extract<LineInboundEvent, { type: 'text' }>;

const prompts = proxyLocalActivities<ImageQuestionActivities>(SESSION_BUSY_REPLY_OPTIONS);

/**
 * A text (not a command) while a photo waits. `handled`: the text was the question's (the photo
 * as it is afterwards); otherwise it goes to the sticker intake with the photo given back (in
 * sticker mode again when the text chose a look).
 */
export async function askAboutPhoto<P extends QuestionablePhoto>(
  event: TextEvent,
  photo: P,
  startTurn: (input: ChatTurnInput) => Promise<unknown>,
): Promise<{ handled: boolean; photo: P }> {
  if (isImageQuestionRequest(event.text)) {
    await prompt(event);
    return { handled: true, photo: { ...photo, mode: 'question' } };
  }
  if (photo.mode !== 'question') return { handled: false, photo };
  if (parseStyleChoice(event.text)) return { handled: false, photo: { ...photo, mode: 'stamp' } };
  // A photo found gone (its deadline just passed, or purged) is answered so, free; the session
  // keeps it all the same: its deadline timer expires the row and deletes what is left.
  await startTurn({ event, image: { queueId: photo.queueId } });
  return { handled: true, photo };
}

/**
 * 「この画像について質問」 with no photo waiting (its deadline passed, or typed out of the blue):
 * a free answer to send a photo first, instead of a charged chat turn on the words.
 */
export async function promptWithoutPhoto(event: TextEvent): Promise<void> {
  await prompt(event, true);
}

/** The free prompt; a failed one is logged, the photo is in question mode all the same. */
async function prompt(event: TextEvent, noPhoto = false): Promise<void> {
  try {
    await prompts.promptImageQuestion({
      webhookEventId: event.webhookEventId,
      lineUserId: event.lineUserId,
      ...(event.replyToken ? { replyToken: event.replyToken } : {}),
      timestamp: event.timestamp,
      ...(noPhoto ? { noPhoto } : {}),
    });
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    log.warn('image question prompt gave up', { webhookEventId: event.webhookEventId });
  }
}
