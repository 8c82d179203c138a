/**
 * Text as PostgreSQL and LINE accept it. A NUL makes a PostgreSQL text insert fail (22021) and a
 * lone UTF-16 surrogate cannot be encoded as UTF-8, so either one in a user's message (or a
 * model's answer) would fail every retry of the step that stores or sends it. Applied at intake
 * (domain/line-events.ts) and meant for model answers too.
 */

/** LINE's limit on a text message, in UTF-16 code units (what JavaScript's length counts). */
export const LINE_TEXT_MAX_LENGTH = 5000;

/**
 * C0 controls except \t (U+0009) and \n (U+000A), DEL and the C1 controls: invisible in a chat,
 * and NUL among them is refused by PostgreSQL. \r is dropped too (LINE sends \n line breaks).
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** U+FFFD REPLACEMENT CHARACTER: shows the user that something was there. */
const REPLACEMENT = '\uFFFD';

/**
 * Removes control characters (except \n and \t), replaces lone surrogates with U+FFFD and caps
 * the length at `maxLength` UTF-16 units without cutting a surrogate pair in half. Pure.
 */
export function sanitizeText(text: string, maxLength: number = LINE_TEXT_MAX_LENGTH): string {
  let out = text.replace(CONTROL, '').replace(LONE_SURROGATE, REPLACEMENT);
  if (out.length > maxLength) {
    out = out.slice(0, maxLength);
    // A pair cut at the end leaves its high half alone.
    if (/[\uD800-\uDBFF]$/.test(out)) out = out.slice(0, -1);
  }
  return out;
}
