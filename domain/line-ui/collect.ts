import type { messagingApi } from '@line/bot-sdk';
import { MAX_QUICK_REPLY_LABEL } from './help';
import { collectPostbackData } from './postback';

/**
 * The reply-token economy's tap flow (issue #14, item 8): a reply is free, a push counts
 * against the channel's monthly quota, and a reply token lives about a minute. When a turn's
 * answer is not ready in time, the turn replies on the event's token with a short notice and a
 * 「回答を受け取る」 button; the tap's fresh token then carries the answer, free. Pushed only
 * when nobody taps within `waitSeconds`. The settings come from config/catalog.json (chat).
 */
export interface CollectSettings {
  /** The notice goes out when the answer is not ready this long after the event. */
  noticeAfterSeconds: number;
  /** A reply token older than this is not used (catalog replyTokenMaxAgeSeconds). */
  replyTokenMaxAgeSeconds: number;
  /** After the answer is ready, how long the turn waits for the tap before pushing it. */
  waitSeconds: number;
  /** The notice's text. */
  notice: string;
  /** The button's label (≤ 20 characters, LINE's quick-reply limit). */
  buttonLabel: string;
  /** Told to a tap that comes after the answer went by push (free, by the tap's token). */
  alreadySent: string;
}

export function collectSettingsOf(chat: {
  answerNoticeAfterSeconds: number;
  replyTokenMaxAgeSeconds: number;
  collectWaitSeconds: number;
  answerNotice: string;
  collectButtonLabel: string;
  answerAlreadySent: string;
}): CollectSettings {
  return {
    noticeAfterSeconds: chat.answerNoticeAfterSeconds,
    replyTokenMaxAgeSeconds: chat.replyTokenMaxAgeSeconds,
    waitSeconds: chat.collectWaitSeconds,
    notice: chat.answerNotice,
    buttonLabel: chat.collectButtonLabel,
    alreadySent: chat.answerAlreadySent,
  };
}

/**
 * The notice with its one quick-reply postback button naming the turn; undefined when the
 * event's ID cannot be carried in postback data (the turn then answers as before: reply or push).
 * The button's displayText shows the tap in the chat as the user's own words.
 */
export function answerNoticeMessage(
  settings: Pick<CollectSettings, 'notice' | 'buttonLabel'>,
  webhookEventId: string,
): messagingApi.TextMessage | undefined {
  const data = collectPostbackData(webhookEventId);
  if (!data) return undefined;
  const label = Array.from(settings.buttonLabel).slice(0, MAX_QUICK_REPLY_LABEL).join('');
  const button: messagingApi.PostbackAction = { type: 'postback', label, data, displayText: label };
  return {
    type: 'text',
    text: settings.notice,
    quickReply: { items: [{ type: 'action', action: button }] },
  };
}
