/**
 * The style choice in LINE (issue #15): after a stamp photo the bot offers the four looks as
 * quick-reply buttons; a tap sends the look's choice text, the bot answers with a preview sheet
 * of that look drawn from the user's photo, and the user confirms by sending the sticker texts
 * (which is when the ticket is spent). Pure: the choice texts, their parser and the messages.
 *
 * Quick-reply buttons send text (a `message` action), not postbacks: the text reaches the
 * sticker intake the same way typed texts do while a photo waits, and a user without the
 * buttons (an old LINE client, a forwarded chat) can type the choice.
 */

import type { messagingApi } from '@line/bot-sdk';
import { normalizeText } from './commands';
import { IMAGE_CHOICES_HINT, IMAGE_QUESTION_TEXT } from './image-question';
import { quickReplyOf } from './line-ui/help';
import { LOOK_LABELS, STICKER_LOOKS, type StickerLook } from './sticker-style';

/** What a style button sends: `スタイル:ふきだし`. */
export function styleChoiceText(look: StickerLook): string {
  return `スタイル:${LOOK_LABELS[look]}`;
}

const PREFIXES = ['スタイル', 'style'];

/**
 * The look a message chooses, or undefined when it is not a choice (then it is sticker texts).
 * Accepts the button's text and what a person would type: `スタイル:ふきだし`, `スタイル ふきだし`,
 * `style: bubble`, full-width colons and spaces included. One line only: a multi-line text is
 * always sticker texts.
 */
export function parseStyleChoice(text: string): StickerLook | undefined {
  if (/[\r\n]/.test(text.trim())) return undefined;
  const normalized = normalizeText(text);
  for (const prefix of PREFIXES) {
    if (!normalized.startsWith(prefix)) continue;
    const rest = normalized
      .slice(prefix.length)
      .replace(/^\s*[:：]?\s*/, '')
      .trim();
    const look = STICKER_LOOKS.find((l) => l === rest || normalizeText(LOOK_LABELS[l]) === rest);
    if (look) return look;
  }
  return undefined;
}

/**
 * The four looks as buttons (the chosen one marked), and a cancel button; with `question`, the
 * photo's other way on (domain/image-question.ts) before the cancel: 6 items of LINE's 13.
 */
export function styleQuickReply(chosen?: StickerLook, question = false): messagingApi.QuickReply {
  return quickReplyOf([
    ...STICKER_LOOKS.map((look) => ({
      label: look === chosen ? `✓${LOOK_LABELS[look]}` : LOOK_LABELS[look],
      text: styleChoiceText(look),
    })),
    ...(question ? [{ label: IMAGE_QUESTION_TEXT, text: IMAGE_QUESTION_TEXT }] : []),
    { label: 'キャンセル', text: 'キャンセル' },
  ]);
}

export const STYLE_CHOICE_HINT =
  'スタイルは下のボタンで選べます（選ぶと、この写真で見本をお見せします。選ばなければ「カード」）。';

/**
 * The photo's acknowledgement with both ways on one tap away: a sticker (the looks) or a
 * question about the image (issue #14).
 */
export function photoAcceptedMessage(text: string): messagingApi.TextMessage {
  return {
    type: 'text',
    text: `${text}\n${STYLE_CHOICE_HINT}\n${IMAGE_CHOICES_HINT}`,
    quickReply: styleQuickReply(undefined, true),
  };
}

export function styleChosenText(look: StickerLook, maxMessages: number): string {
  return [
    `「${LOOK_LABELS[look]}」のスタイルの見本です（文字は例です）。`,
    `このスタイルでよければ、スタンプにする言葉を1行に1つずつ送ってください（最大${maxMessages}個）。送ると作成が始まり、チケットを1枚使います。`,
    '別のスタイルは下のボタンから選べます。',
  ].join('\n');
}

/**
 * The answer to a style choice: the preview sheet as an image, then the text asking for the
 * sticker texts. The buttons ride on the last message: LINE shows a quick reply only there.
 */
export function styleChosenMessages(
  look: StickerLook,
  previewUrl: string,
  maxMessages: number,
): messagingApi.Message[] {
  const image: messagingApi.ImageMessage = {
    type: 'image',
    originalContentUrl: previewUrl,
    previewImageUrl: previewUrl,
  };
  const text: messagingApi.TextMessage = {
    type: 'text',
    text: styleChosenText(look, maxMessages),
    quickReply: styleQuickReply(look),
  };
  return [image, text];
}
