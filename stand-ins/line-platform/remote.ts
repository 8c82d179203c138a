import { fetchJson, sleep } from '../http-kit';
import type {
  LineFailureOptions,
  LineMessage,
  LineProfile,
  LineRecord,
  LineRecordKind,
} from './types';

/**
 * The inspection API over HTTP, for code in another process than the stand-in (jest workers
 * when the global setup started it, the dev simulator). Same operations, asynchronous.
 */
export interface LinePlatformRemote {
  url: string;
  issueReplyToken(opts?: {
    userId?: string;
    chatId?: string;
    ageSeconds?: number;
  }): Promise<string>;
  received(filter?: {
    userId?: string;
    kind?: LineRecordKind;
    after?: number;
  }): Promise<LineRecord[]>;
  messagesFor(userId: string): Promise<LineMessage[]>;
  textsFor(userId: string): Promise<string[]>;
  /** Polls every `intervalMs` (default 100). */
  waitFor(
    predicate: (record: LineRecord) => boolean,
    timeoutMs?: number,
    intervalMs?: number,
  ): Promise<LineRecord>;
  putContent(messageId: string, data: Buffer | Uint8Array, contentType: string): Promise<void>;
  setProfile(userId: string, profile: Partial<Omit<LineProfile, 'userId'>>): Promise<void>;
  failNext(path: string, status: number, count?: number, opts?: LineFailureOptions): Promise<void>;
  reset(): Promise<void>;
}

export function connectLinePlatform(url: string): LinePlatformRemote {
  const base = url.replace(/\/+$/, '');
  const post = (path: string, body: unknown) =>
    fetchJson<unknown>(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const received = async (
    filter: { userId?: string; kind?: LineRecordKind; after?: number } = {},
  ) => {
    const q = new URLSearchParams();
    if (filter.userId !== undefined) q.set('userId', filter.userId);
    if (filter.kind !== undefined) q.set('kind', filter.kind);
    if (filter.after !== undefined) q.set('after', String(filter.after));
    const { received: list } = await fetchJson<{ received: Array<LineRecord & { at: string }> }>(
      `${base}/__stand-in/messages?${q.toString()}`,
    );
    return list.map((r) => ({ ...r, at: new Date(r.at) }));
  };
  const messagesFor = async (userId: string) =>
    (await received({ userId })).flatMap((r) => r.messages ?? []);
  return {
    url: base,
    async issueReplyToken(opts = {}) {
      const { replyToken } = (await post('/__stand-in/reply-tokens', opts)) as {
        replyToken: string;
      };
      return replyToken;
    },
    received,
    messagesFor,
    async textsFor(userId) {
      return (await messagesFor(userId)).flatMap((m) =>
        typeof m.text === 'string' ? [m.text] : [],
      );
    },
    async waitFor(predicate, timeoutMs = 10_000, intervalMs = 100) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const list = await received();
        const hit = list.find(predicate);
        if (hit) return hit;
        if (Date.now() >= deadline) {
          throw new Error(
            `LINE stand-in: nothing matched within ${timeoutMs} ms; received ${JSON.stringify(list)}`,
          );
        }
        await sleep(intervalMs);
      }
    },
    async putContent(messageId, data, contentType) {
      await fetchJson(`${base}/__stand-in/content/${encodeURIComponent(messageId)}`, {
        method: 'POST',
        headers: { 'content-type': contentType },
        body: Buffer.from(data),
      });
    },
    async setProfile(userId, profile) {
      await post(`/__stand-in/profiles/${encodeURIComponent(userId)}`, profile);
    },
    async failNext(path, status, count = 1, opts = {}) {
      await post('/__stand-in/fail', { path, status, count, ...opts });
    },
    async reset() {
      await post('/__stand-in/reset', {});
    },
  };
}
