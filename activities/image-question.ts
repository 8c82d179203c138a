import type { messagingApi } from '@line/bot-sdk';
import { IMAGE_QUESTION_PROMPT, NO_PHOTO_TO_ASK_ABOUT_TEXT } from '../domain/image-question';
import { styleQuickReply } from '../domain/stamp-style-choice';
import type { Logger } from '../lib/logger';
import type { DeliverInput, DeliverResult } from './line-messaging';
import { withFailureClassification } from './support/failures';

export interface ImageQuestionDeps {
  line: { deliverMessages(input: DeliverInput): Promise<DeliverResult> };
  logger: Logger;
}

/**
 * The session's free answer to 「この画像について質問」 (workflows/session-image-question.ts):
 * what to send next, with the looks still one tap away (a look switches back to the sticker);
 * with no photo waiting, to send one first.
 * Keyed by the event, so a retry never pushes it twice.
 */
export function createImageQuestionActivities(deps: ImageQuestionDeps) {
  return withFailureClassification({
    async promptImageQuestion(input: {
      webhookEventId: string;
      lineUserId: string;
      replyToken?: string;
      timestamp: number;
      /** No photo waits: say to send one first. */
      noPhoto?: boolean;
    }): Promise<DeliverResult> {
      const prompt: messagingApi.TextMessage = input.noPhoto
        ? { type: 'text', text: NO_PHOTO_TO_ASK_ABOUT_TEXT }
        : { type: 'text', text: IMAGE_QUESTION_PROMPT, quickReply: styleQuickReply() };
      deps.logger.info({ webhookEventId: input.webhookEventId }, 'image question prompt');
      return deps.line.deliverMessages({
        lineUserId: input.lineUserId,
        texts: [],
        messages: [prompt],
        replyToken: input.replyToken,
        eventTimestamp: input.timestamp,
        deliveryId: `answer-${input.webhookEventId}`,
      });
    },
  });
}

export type ImageQuestionActivities = ReturnType<typeof createImageQuestionActivities>;
