import { fetchJson } from '../http-kit';
import type { LlmFailureOptions, LlmReply, LlmRequestRecord } from './types';

/** The control API over HTTP, for code in another process than the stand-in. */
export interface LlmProviderRemote {
  url: string;
  baseURL: string;
  requests(): Promise<LlmRequestRecord[]>;
  completions(): Promise<LlmRequestRecord[]>;
  setLatency(ms: number): Promise<void>;
  failNext(status: number, count?: number, body?: unknown, opts?: LlmFailureOptions): Promise<void>;
  setDown(down: boolean, mode?: 'reset' | '503'): Promise<void>;
  queueReply(...replies: Array<string | LlmReply>): Promise<void>;
  reset(): Promise<void>;
}

export function connectLlmProvider(url: string): LlmProviderRemote {
  const base = url.replace(/\/+$/, '').replace(/\/v1$/, '');
  const post = async (path: string, body: unknown) => {
    await fetchJson(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  };
  const requests = async () => {
    const { requests: list } = await fetchJson<{
      requests: Array<LlmRequestRecord & { at: string }>;
    }>(`${base}/__stand-in/requests`);
    return list.map((r) => ({ ...r, at: new Date(r.at) }));
  };
  return {
    url: base,
    baseURL: `${base}/v1`,
    requests,
    completions: async () => (await requests()).filter((r) => r.status === 200),
    setLatency: (ms) => post('/__stand-in/latency', { ms }),
    failNext: (status, count = 1, body, opts = {}) =>
      post('/__stand-in/fail', { status, count, body, headers: opts.headers }),
    setDown: (down, mode) => post('/__stand-in/down', { down, mode }),
    queueReply: (...replies) => post('/__stand-in/replies', { replies }),
    reset: () => post('/__stand-in/reset', {}),
  };
}
