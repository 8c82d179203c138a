import type { ChatMessageInput } from './types';

/** How the stand-in counts tokens: close enough to OpenAI's tokenizer for usage and limits. */

/** Scripts that tokenizers split about one token per character. */
function isDenseScript(cp: number): boolean {
  return (
    (cp >= 0x0e00 && cp <= 0x0e7f) || // Thai
    (cp >= 0x3000 && cp <= 0x30ff) || // CJK punctuation, hiragana, katakana
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0xac00 && cp <= 0xd7af) || // Hangul
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xff00 && cp <= 0xffef) || // full-width forms, half-width katakana
    (cp >= 0x1f000 && cp <= 0x1faff) || // emoji
    (cp >= 0x20000 && cp <= 0x3ffff)
  );
}

/**
 * Tokenizer-like estimate: one token per CJK/Thai/Hangul character or emoji, one per four
 * other characters (Latin text, spaces, punctuation), rounded up.
 */
export function estimateTokens(text: string): number {
  let dense = 0;
  let other = 0;
  for (const ch of text) {
    if (isDenseScript(ch.codePointAt(0) ?? 0)) dense++;
    else other++;
  }
  return dense + Math.ceil(other / 4);
}

export function messageText(content: ChatMessageInput['content'] | undefined): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((p) => (typeof p.text === 'string' ? p.text : '')).join('');
  }
  return '';
}

/**
 * Prompt tokens as OpenAI counts chat input: 3 per message + 1 for the role + the content
 * (+ the name and 1 when named), plus 3 that prime the reply.
 */
export function estimatePromptTokens(messages: ChatMessageInput[]): number {
  let total = 3;
  for (const m of messages) {
    total += 4 + estimateTokens(messageText(m.content));
    if (typeof m.name === 'string') total += 1 + estimateTokens(m.name);
  }
  return total;
}

/** Cuts text so that it fits `maxTokens` by the same estimate. */
export function truncateToTokens(text: string, maxTokens: number): string {
  let dense = 0;
  let other = 0;
  let end = 0;
  for (const ch of text) {
    if (isDenseScript(ch.codePointAt(0) ?? 0)) dense++;
    else other++;
    if (dense + Math.ceil(other / 4) > maxTokens) break;
    end += ch.length;
  }
  return text.slice(0, end);
}
