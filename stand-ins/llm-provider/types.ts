/** The LLM provider stand-in's public shapes (requests, replies, options, the in-process API). */

import type { SeenImage } from './images';

export type { SeenImage } from './images';

export type ChatContentPart = { type: string; text?: string; [key: string]: unknown };

export interface ChatMessageInput {
  role: string;
  content: string | ChatContentPart[] | null;
  name?: string;
  [key: string]: unknown;
}

export interface UrlCitation {
  type: 'url_citation';
  url_citation: { start_index: number; end_index: number; title: string; url: string };
}

export interface CompletionUsageShape {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number; audio_tokens: number };
  completion_tokens_details: {
    reasoning_tokens: number;
    audio_tokens: number;
    accepted_prediction_tokens: number;
    rejected_prediction_tokens: number;
  };
}

export interface LlmReply {
  content: string;
  finish_reason?: 'stop' | 'length' | 'content_filter';
  annotations?: UrlCitation[];
}

export interface LlmCall {
  model: string;
  messages: ChatMessageInput[];
  body: Record<string, unknown>;
}

export type LlmHandler = (call: LlmCall) => string | LlmReply | Promise<string | LlmReply>;

export interface LlmRequestRecord {
  seq: number;
  /** Request path as received, e.g. /v1/chat/completions. */
  path: string;
  model?: string;
  messages?: ChatMessageInput[];
  max_tokens?: number;
  max_completion_tokens?: number;
  /** The parsed JSON body (or the raw text when it was not JSON). */
  body: unknown;
  /** HTTP status answered; 0 when the connection was reset (setDown 'reset'). */
  status: number;
  /** The SDK's x-stainless-retry-count header (0 for a first attempt), when sent. */
  retryCount?: number;
  /** For answered requests: what was returned. */
  reply?: { content: string; finish_reason: string; usage: CompletionUsageShape; searches: number };
  /** The request's image parts as the stand-in read them (pixel size, tokens counted). */
  images?: SeenImage[];
  /** For answered transcriptions (/v1/audio/transcriptions): the transcript and seconds billed. */
  transcription?: { text: string; seconds: number };
  at: Date;
}

export interface LlmFailureOptions {
  headers?: Record<string, string>;
}

export interface StartLlmProviderOptions {
  port?: number;
  host?: string;
  /** When set, requests must carry `Authorization: Bearer <apiKey>` (else 401). */
  apiKey?: string;
  /** Delay before every answer. Default 0. */
  latencyMs?: number;
  /** When set, other models get 404 model_not_found. Default: any model is served. */
  models?: string[];
  handler?: LlmHandler;
}

export interface LlmProviderStandIn {
  /** Server root, e.g. http://127.0.0.1:4020. */
  url: string;
  /** What to use as OPENAI_BASE_URL / the SDK's baseURL: `${url}/v1`. */
  baseURL: string;
  port: number;
  close(): Promise<void>;
  requests(): LlmRequestRecord[];
  /** Successfully answered requests only. */
  completions(): LlmRequestRecord[];
  setLatency(ms: number): void;
  /** The next `count` chat requests get `status` with OpenAI's error body (or `body`). */
  failNext(status: number, count?: number, body?: unknown, opts?: LlmFailureOptions): void;
  /** down: every request is refused ('reset': socket destroyed; '503': HTTP 503). */
  setDown(down: boolean, mode?: 'reset' | '503'): void;
  /** Replaces the default reply; null restores it. */
  setHandler(handler: LlmHandler | null): void;
  /** Replies used (first in, first out) before the handler. */
  queueReply(...replies: Array<string | LlmReply>): void;
  waitForRequests(count: number, timeoutMs?: number): Promise<LlmRequestRecord[]>;
  reset(): void;
}
