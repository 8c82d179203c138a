import type { LlmState } from './state';
import { messageText } from './tokens';
import type { LlmCall, LlmReply } from './types';

/**
 * What the stand-in answers: directives in the last user message ([[reply:…]], [[len:N]],
 * [[fail:STATUS]], [[delay:MS]]), queued replies, a handler, or the deterministic default.
 */

const LONG_FILLER = 'これはスタンドインが返す長い応答の本文です。';

export interface Directives {
  reply?: string;
  len?: number;
  fail?: number;
  delay?: number;
}

export function parseDirectives(text: string): Directives {
  const d: Directives = {};
  const reply = /\[\[reply:([\s\S]*?)\]\]/.exec(text);
  if (reply) d.reply = reply[1];
  const len = /\[\[len:(\d{1,6})\]\]/.exec(text);
  if (len) d.len = Number(len[1]);
  const fail = /\[\[fail:(\d{3})\]\]/.exec(text);
  if (fail) d.fail = Number(fail[1]);
  const delay = /\[\[delay:(\d{1,6})\]\]/.exec(text);
  if (delay) d.delay = Number(delay[1]);
  return d;
}

function defaultReply(call: LlmCall): string {
  const lastUser = [...call.messages].reverse().find((m) => m.role === 'user');
  const text = messageText(lastUser?.content).replace(/\s+/g, ' ').trim();
  return `[${call.model}] 了解しました: ${[...text].slice(0, 40).join('')}`;
}

/** A directive first, then a queued reply, then the handler, then the default reply. */
export async function produceReply(
  state: LlmState,
  call: LlmCall,
  directives: Directives,
): Promise<LlmReply> {
  if (directives.reply !== undefined) return { content: directives.reply };
  if (directives.len !== undefined) {
    const n = directives.len;
    const repeated = LONG_FILLER.repeat(Math.ceil(n / LONG_FILLER.length) || 1);
    return { content: repeated.slice(0, n) };
  }
  const next = state.nextQueuedReply();
  if (next !== undefined) return typeof next === 'string' ? { content: next } : next;
  const handler = state.handler();
  if (handler) {
    const out = await handler(call);
    return typeof out === 'string' ? { content: out } : out;
  }
  return { content: defaultReply(call) };
}

/** What a search model adds: a cited link in the text and its url_citation annotation. */
export function withSearch(call: LlmCall, reply: LlmReply): LlmReply {
  if (reply.annotations) return reply;
  const lastUser = [...call.messages].reverse().find((m) => m.role === 'user');
  const query = [...messageText(lastUser?.content)].slice(0, 40).join('').trim() || 'search';
  const url = `https://example.com/search?q=${encodeURIComponent(query)}&utm_source=openai`;
  const title = `検索結果: ${query}`;
  const link = `[${title}](${url})`;
  const content = `${reply.content} (${link})`;
  const start = content.length - link.length - 1;
  return {
    ...reply,
    content,
    annotations: [
      {
        type: 'url_citation',
        url_citation: { start_index: start, end_index: start + link.length, title, url },
      },
    ],
  };
}
