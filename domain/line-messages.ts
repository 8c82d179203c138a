/**
 * LINE's message limits (Messaging API): at most 5 messages per reply or push, 5000 characters
 * per text message. Long answers are split at paragraph or sentence ends when possible.
 */
export const MAX_MESSAGES_PER_CALL = 5;
export const MAX_TEXT_LENGTH = 5000;

export interface TextMessage {
  type: 'text';
  text: string;
}

/** Splits one text into chunks of at most `max` characters (code points, as LINE counts). */
export function splitText(text: string, max = MAX_TEXT_LENGTH): string[] {
  const chars = Array.from(text);
  const chunks: string[] = [];
  let start = 0;
  while (chars.length - start > max) {
    const window = chars.slice(start, start + max).join('');
    // Prefer a paragraph break, then a sentence end, in the second half of the window.
    const cut = Math.max(
      window.lastIndexOf('\n\n'),
      window.lastIndexOf('\n'),
      window.lastIndexOf('。'),
      window.lastIndexOf('. '),
    );
    const size = cut >= max / 2 ? Array.from(window.slice(0, cut + 1)).length : max;
    chunks.push(
      chars
        .slice(start, start + size)
        .join('')
        .trimEnd(),
    );
    start += size;
  }
  const rest = chars.slice(start).join('').trim();
  if (rest || chunks.length === 0) chunks.push(rest);
  return chunks.filter((c, i) => c.length > 0 || i === 0);
}

/**
 * Turns texts into LINE message batches: each batch fits one reply or push call. The first batch
 * can use the reply token; later ones must be pushed.
 */
export function toMessageBatches(texts: readonly string[]): TextMessage[][] {
  const messages = texts
    .flatMap((t) => splitText(t))
    .map((text) => ({ type: 'text' as const, text }));
  const batches: TextMessage[][] = [];
  for (let i = 0; i < messages.length; i += MAX_MESSAGES_PER_CALL) {
    batches.push(messages.slice(i, i + MAX_MESSAGES_PER_CALL));
  }
  return batches;
}
