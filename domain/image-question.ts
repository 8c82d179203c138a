/**
 * A question about a photo (issue #14): the photo's acknowledgement offers, beside the sticker
 * looks, 「この画像について質問」; its text switches the waiting photo to question mode, and the
 * user's next texts are chat turns on the plan's vision tier with that photo attached. Pure:
 * the button's text, its parser and the words the bot says.
 *
 * The button sends text (a `message` action) for the same reason the looks do
 * (domain/stamp-style-choice.ts): a user without the buttons can type it.
 */

import { normalizeText } from './commands';

/** What the question button sends (and its label: 10 characters, within LINE's 20). */
export const IMAGE_QUESTION_TEXT = 'この画像について質問';

/** What a person would type for the button: the button's text, with or without 「する」, and English. */
const REQUESTS = new Set(
  [
    IMAGE_QUESTION_TEXT,
    'この画像について質問する',
    '画像について質問',
    '画像について質問する',
    'この写真について質問',
    '写真について質問',
    'ask about this image',
    'ask about the image',
    'ask about this photo',
  ].map(normalizeText),
);

/**
 * Whether the text asks to question the waiting photo. Tolerant like parseStyleChoice: width,
 * case, spaces and a trailing 「。」 or 「！」 do not matter; one line only.
 */
export function isImageQuestionRequest(text: string): boolean {
  if (/[\r\n]/.test(text.trim())) return false;
  const normalized = normalizeText(text)
    .replace(/[。.!！?？]+$/u, '')
    .trim();
  return REQUESTS.has(normalized);
}

/** The answer to the button (free): what to send next. */
export const IMAGE_QUESTION_PROMPT =
  'この画像について知りたいことを送ってください（例：これは何？）。\nスタンプを作る場合は、下のスタイルのボタンを選んでください。';

/** 「この画像について質問」 with no photo waiting (free). */
export const NO_PHOTO_TO_ASK_ABOUT_TEXT =
  '質問する画像がありません。画像を送ってから「この画像について質問」を選んでください。';

/** Said in the photo's acknowledgement: both ways on from here. */
export const IMAGE_CHOICES_HINT =
  'スタンプを作らずに、この画像について質問することもできます（「この画像について質問」を選んでください）。';

/** How the chat archive keeps a question about a photo: the text with a marker, never the image. */
export const IMAGE_MARKER = '[画像] ';

export function archivedImageQuestion(question: string): string {
  return `${IMAGE_MARKER}${question}`;
}

/** The photo a question is about no longer exists (expired, cancelled, replaced, purged). Free. */
export const IMAGE_GONE_TEXT =
  '画像の保存期間が終わったため、この画像についての質問にはお答えできません。もう一度画像を送ってください。';

/** Long side, in pixels, the model sees at most (OpenAI scales larger images down anyway). */
export const VISION_MAX_SIDE = 1024;

/**
 * Input tokens held for the image before the model reports its count: OpenAI's high-detail
 * rule for a ≤1024 px image (85 + 170 per 512 px tile, at most 4 tiles once the short side is
 * scaled to 768). The settlement charges what the provider reports.
 */
export const VISION_IMAGE_TOKEN_ESTIMATE = 85 + 170 * 4;
