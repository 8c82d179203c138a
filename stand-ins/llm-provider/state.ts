import type {
  LlmFailureOptions,
  LlmHandler,
  LlmProviderStandIn,
  LlmReply,
  LlmRequestRecord,
  StartLlmProviderOptions,
} from './types';

/**
 * What the LLM provider stand-in remembers: every request (and which are answered), queued
 * failures and replies, the handler, latency and whether it is "down". The routes read and
 * change it; the in-process API exposes it.
 */

interface Failure {
  status: number;
  remaining: number;
  body?: unknown;
  opts: LlmFailureOptions;
}

/** The in-process operations of the stand-in (everything but its address and close). */
export type LlmStandInOperations = Omit<LlmProviderStandIn, 'url' | 'baseURL' | 'port' | 'close'>;

export interface LlmState extends LlmStandInOperations {
  readonly apiKey: string | undefined;
  readonly models: string[] | undefined;
  /** The stand-in's own URL, once it listens (for its health answer). */
  baseUrl: string;
  latencyMs(): number;
  down(): false | 'reset' | '503';
  handler(): LlmHandler | null;
  nextSeq(): number;
  /** Keeps a new request's record (its status and reply are filled in as it is answered). */
  track(record: LlmRequestRecord): void;
  /** Marks the request answered (or dropped) for waitForRequests. */
  finish(record: LlmRequestRecord): void;
  /** The first queued failure, counted down; undefined when none. */
  takeFailure(): Failure | undefined;
  nextQueuedReply(): string | LlmReply | undefined;
}

export function createLlmState(options: StartLlmProviderOptions): LlmState {
  let latencyMs = options.latencyMs ?? 0;
  let handler: LlmHandler | null = options.handler ?? null;
  let records: LlmRequestRecord[] = [];
  let failures: Failure[] = [];
  let down: false | 'reset' | '503' = false;
  let queued: Array<string | LlmReply> = [];
  let seq = 0;
  const listeners = new Set<() => void>();
  const finished = new WeakSet<LlmRequestRecord>();

  return {
    apiKey: options.apiKey,
    models: options.models,
    baseUrl: '',
    latencyMs: () => latencyMs,
    down: () => down,
    handler: () => handler,
    nextSeq: () => ++seq,
    track(record) {
      records.push(record);
    },
    finish(record) {
      finished.add(record);
      for (const l of [...listeners]) l();
    },
    takeFailure() {
      const failure = failures.find((f) => f.remaining > 0);
      if (!failure) return undefined;
      failure.remaining--;
      failures = failures.filter((f) => f.remaining > 0);
      return failure;
    },
    nextQueuedReply: () => queued.shift(),

    requests: () => [...records],
    completions: () => records.filter((r) => r.status === 200),
    setLatency(ms) {
      latencyMs = ms;
    },
    failNext(status, count = 1, body, opts = {}) {
      failures.push({ status, remaining: count, body, opts });
    },
    setDown(value, mode = 'reset') {
      down = value ? mode : false;
    },
    setHandler(h) {
      handler = h;
    },
    queueReply(...replies) {
      queued.push(...replies);
    },
    waitForRequests(count, timeoutMs = 10_000) {
      const done = () => records.filter((r) => finished.has(r)).length >= count;
      if (done()) return Promise.resolve([...records]);
      return new Promise((resolve, reject) => {
        const listener = () => {
          if (!done()) return;
          clearTimeout(timer);
          listeners.delete(listener);
          resolve([...records]);
        };
        const timer = setTimeout(() => {
          listeners.delete(listener);
          reject(
            new Error(`LLM stand-in: ${records.length}/${count} requests after ${timeoutMs} ms`),
          );
        }, timeoutMs);
        listeners.add(listener);
      });
    },
    reset() {
      records = [];
      failures = [];
      queued = [];
      down = false;
      handler = options.handler ?? null;
      latencyMs = options.latencyMs ?? 0;
    },
  };
}
