import type { Catalog } from '../config/catalog';
import type { Logger } from '../lib/logger';
import type { DeliverInput, DeliverResult } from './line-messaging';
import { withFailureClassification } from './support/failures';

export interface LineNativeDeps {
  catalog: Catalog;
  line: { deliverMessages(input: DeliverInput): Promise<DeliverResult> };
  logger: Logger;
}

/** An event the session answers itself, without a chat turn: free, no points, no daily slot. */
export interface FreeAnswerInput {
  /** `answerSent`: a 「回答を受け取る」 tap whose turn is over (workflows/chat-turn-collect.ts). */
  kind: 'sticker' | 'unsupported' | 'answerSent';
  webhookEventId: string;
  lineUserId: string;
  replyToken?: string;
  timestamp: number;
}

export function createLineNativeActivities(deps: LineNativeDeps) {
  const { catalog, logger } = deps;
  return withFailureClassification({
    /**
     * The canned answer to a LINE sticker, or the polite "not supported yet" to video, audio,
     * location and file messages (config/catalog.json messages). Keyed by the event, so a retry
     * never pushes it twice.
     */
    async answerWithoutTurn(input: FreeAnswerInput): Promise<DeliverResult> {
      const text =
        input.kind === 'sticker'
          ? catalog.messages.stickerReply
          : input.kind === 'answerSent'
            ? catalog.chat.answerAlreadySent
            : catalog.messages.unsupportedMessage;
      logger.info({ webhookEventId: input.webhookEventId, kind: input.kind }, 'free answer');
      return deps.line.deliverMessages({
        lineUserId: input.lineUserId,
        texts: [text],
        replyToken: input.replyToken,
        eventTimestamp: input.timestamp,
        deliveryId: `answer-${input.webhookEventId}`,
      });
    },
  });
}

export type LineNativeActivities = ReturnType<typeof createLineNativeActivities>;
