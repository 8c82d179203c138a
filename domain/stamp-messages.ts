/**
 * The messages of a stamp job: parsing a LINE text ("one text per line") and validating a list
 * of messages against the catalog's `stamp` limits. Pure; the font check is injected (it reads
 * the font file), so the same rules serve the LINE intake, the HTTP intake and the tests.
 *
 * Length is counted as `countStickerChars` does: user-perceived characters (graphemes) after
 * normalisation, line breaks not counted, so 「👍🏽」 is one character and a half-width 「ｱ」 too.
 */

import { countStickerChars, normalizeStickerText } from './sticker-layout';

export interface StampMessageLimits {
  /** catalog.stamp.maxMessages (1..40) */
  maxMessages: number;
  /** catalog.stamp.maxMessageLength (16) */
  maxMessageLength: number;
}

export type StampMessageProblemCode =
  | 'NO_MESSAGES'
  | 'TOO_MANY_MESSAGES'
  | 'EMPTY_MESSAGE'
  | 'MESSAGE_TOO_LONG'
  | 'UNSUPPORTED_CHARACTERS';

export interface StampMessageProblem {
  code: StampMessageProblemCode;
  /** 0-based index of the offending message, when one is at fault. */
  index?: number;
  /** Clear Japanese text for the user (LINE reply, HTTP error body). */
  message: string;
  count?: number;
  max?: number;
  characters?: string;
}

export type StampMessagesResult =
  { ok: true; messages: string[] } | { ok: false; problems: StampMessageProblem[] };

/** A hard cap on what is even looked at (a pasted novel is refused without parsing it all). */
const MAX_RAW_CHARS_PER_MESSAGE = 256;

/**
 * Splits a LINE text into messages: one per line, each trimmed; blank lines are layout, not
 * messages, and are dropped.
 */
export function splitStampLines(text: string): string[] {
  return text
    .split(/\r\n|\r|\n|\u2028|\u2029/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}

function preview(text: string): string {
  const chars = Array.from(text);
  return chars.length > 10 ? `${chars.slice(0, 10).join('')}…` : text;
}

/**
 * Validates and normalises messages. Every problem is reported (up to a few per kind), so the
 * user can fix them all at once. On success the messages are in their canonical form
 * (`normalizeStickerText`), which is what is stored and rendered.
 */
export function validateStampMessages(
  raw: readonly string[],
  limits: StampMessageLimits,
  findUnsupported: (text: string) => string[] = () => [],
): StampMessagesResult {
  const problems: StampMessageProblem[] = [];
  if (raw.length === 0) {
    problems.push({
      code: 'NO_MESSAGES',
      message: `スタンプにする言葉を1つ以上送ってください（最大${limits.maxMessages}個）。`,
      count: 0,
      max: limits.maxMessages,
    });
    return { ok: false, problems };
  }
  if (raw.length > limits.maxMessages) {
    problems.push({
      code: 'TOO_MANY_MESSAGES',
      message: `言葉が多すぎます（${raw.length}個）。1回のスタンプは最大${limits.maxMessages}個までです。`,
      count: raw.length,
      max: limits.maxMessages,
    });
    return { ok: false, problems };
  }
  const messages: string[] = [];
  raw.forEach((value, index) => {
    const n = index + 1;
    if (typeof value !== 'string') {
      problems.push({ code: 'EMPTY_MESSAGE', index, message: `${n}個目の言葉が空です。` });
      return;
    }
    if (Array.from(value).length > MAX_RAW_CHARS_PER_MESSAGE) {
      problems.push({
        code: 'MESSAGE_TOO_LONG',
        index,
        message: `${n}個目の言葉が長すぎます（1つ${limits.maxMessageLength}文字まで）。`,
        max: limits.maxMessageLength,
      });
      return;
    }
    const normalized = normalizeStickerText(value);
    if (normalized.length === 0) {
      problems.push({ code: 'EMPTY_MESSAGE', index, message: `${n}個目の言葉が空です。` });
      return;
    }
    const count = countStickerChars(normalized);
    if (count > limits.maxMessageLength) {
      problems.push({
        code: 'MESSAGE_TOO_LONG',
        index,
        message: `${n}個目「${preview(normalized)}」が長すぎます（${count}文字、1つ${limits.maxMessageLength}文字まで）。`,
        count,
        max: limits.maxMessageLength,
      });
      return;
    }
    const unsupported = findUnsupported(normalized);
    if (unsupported.length > 0) {
      problems.push({
        code: 'UNSUPPORTED_CHARACTERS',
        index,
        message: `${n}個目「${preview(normalized)}」に使えない文字があります: ${unsupported.join(' ')}`,
        characters: unsupported.join(''),
      });
      return;
    }
    messages.push(normalized);
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, messages };
}

/** One reply listing the problems (at most `max` of them, then a count of the rest). */
export function describeProblems(problems: readonly StampMessageProblem[], max = 5): string {
  const shown = problems.slice(0, max).map((p) => p.message);
  if (problems.length > max) shown.push(`ほか${problems.length - max}件`);
  return shown.join('\n');
}
