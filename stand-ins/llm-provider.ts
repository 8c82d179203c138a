import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import {
  CORS_HEADERS,
  closeServer,
  fetchJson,
  isRecord,
  listen,
  parseJson,
  readBody,
  sendEmpty,
  sendJson,
  sleep,
} from './http-kit';

/**
 * Stand-in for an OpenAI-compatible chat-completions provider (OpenAI, vLLM/RunPod, ...).
 *
 * Set OPENAI_BASE_URL to `${url}/v1` (the `baseURL` property): the openai SDK then calls
 * POST {url}/v1/chat/completions, exactly as against https://api.openai.com/v1. A base URL
 * without /v1 also works (POST {url}/chat/completions is served too).
 *
 * Replies are deterministic: `[{model}] 了解しました: {first 40 chars of the last user message}`,
 * unless a queued reply, a handler, or a directive in the last user message says otherwise:
 *   [[reply:TEXT]]  answer exactly TEXT        [[len:N]]     answer N characters (Japanese)
 *   [[fail:STATUS]] answer with that error      [[delay:MS]]  extra latency for this request
 * Directives affect only the request that carries them, so parallel tests cannot disturb
 * each other (queued replies and failNext are global).
 *
 * Usage numbers follow a tokenizer-like estimate (see estimateTokens), with OpenAI's
 * per-message overhead, so longer input costs more and Japanese counts about one token per
 * character. Models whose name contains "search" answer like gpt-4o-search-preview: the
 * message carries `annotations` of type url_citation (one web search per request) and
 * sampling parameters such as temperature are rejected as that model does.
 *
 * Inspection/control over HTTP (no auth, CORS open):
 *   GET /__stand-in/requests, POST /__stand-in/reset, /__stand-in/latency {ms},
 *   /__stand-in/fail {status, count?, body?, headers?}, /__stand-in/down {down, mode?},
 *   /__stand-in/replies {replies: [string | {content, finish_reason?}]}
 */

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

const ROLES = ['system', 'assistant', 'user', 'function', 'tool', 'developer'];
const SEARCH_INCOMPATIBLE = [
  'temperature',
  'top_p',
  'n',
  'presence_penalty',
  'frequency_penalty',
  'logprobs',
  'top_logprobs',
  'logit_bias',
];
const LONG_FILLER = 'これはスタンドインが返す長い応答の本文です。';

interface OpenAiError {
  status: number;
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

function errorBody(e: Omit<OpenAiError, 'status'>): unknown {
  return { error: { message: e.message, type: e.type, param: e.param, code: e.code } };
}

function defaultFailure(status: number): unknown {
  if (status === 429) {
    return errorBody({
      message:
        'Rate limit reached for requests. Limit: 500 / min. Please try again in 1s. Visit https://platform.openai.com/account/rate-limits to learn more.',
      type: 'requests',
      param: null,
      code: 'rate_limit_exceeded',
    });
  }
  if (status === 503) {
    return errorBody({
      message: 'The engine is currently overloaded, please try again later',
      type: 'server_error',
      param: null,
      code: null,
    });
  }
  if (status >= 500) {
    return errorBody({
      message: 'The server had an error while processing your request. Sorry about that!',
      type: 'server_error',
      param: null,
      code: null,
    });
  }
  return errorBody({
    message: `Request failed with status ${status}`,
    type: 'invalid_request_error',
    param: null,
    code: null,
  });
}

function invalid(message: string, param: string | null, code: string | null): OpenAiError {
  return { status: 400, message, type: 'invalid_request_error', param, code };
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a decimal';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

function validate(body: Record<string, unknown>): OpenAiError | null {
  if (typeof body.model !== 'string' || !body.model) {
    return invalid('you must provide a model parameter', null, null);
  }
  if (body.stream === true) {
    return invalid(
      'stream: true is not supported by the LLM stand-in (the product uses non-streaming chat completions)',
      'stream',
      'unsupported_value',
    );
  }
  if (body.messages === undefined) {
    return invalid(
      "Missing required parameter: 'messages'.",
      'messages',
      'missing_required_parameter',
    );
  }
  if (!Array.isArray(body.messages)) {
    return invalid(
      `Invalid type for 'messages': expected an array of objects, but got ${typeName(body.messages)} instead.`,
      'messages',
      'invalid_type',
    );
  }
  if (body.messages.length === 0) {
    return invalid(
      "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
      'messages',
      'empty_array',
    );
  }
  for (const [i, m] of (body.messages as unknown[]).entries()) {
    const at = `messages[${i}]`;
    if (!isRecord(m)) {
      return invalid(
        `Invalid type for '${at}': expected an object, but got ${typeName(m)} instead.`,
        at,
        'invalid_type',
      );
    }
    if (m.role === undefined) {
      return invalid(
        `Missing required parameter: '${at}.role'.`,
        `${at}.role`,
        'missing_required_parameter',
      );
    }
    if (typeof m.role !== 'string' || !ROLES.includes(m.role)) {
      return invalid(
        `Invalid value: '${String(m.role)}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.`,
        `${at}.role`,
        'invalid_value',
      );
    }
    const content = m.content;
    const assistantWithoutContent =
      m.role === 'assistant' && (content === undefined || content === null);
    if (!assistantWithoutContent) {
      if (content === undefined) {
        return invalid(
          `Missing required parameter: '${at}.content'.`,
          `${at}.content`,
          'missing_required_parameter',
        );
      }
      if (typeof content !== 'string' && !Array.isArray(content)) {
        return invalid(
          `Invalid type for '${at}.content': expected one of a string or array of objects, but got ${typeName(content)} instead.`,
          `${at}.content`,
          'invalid_type',
        );
      }
      if (Array.isArray(content)) {
        for (const [j, part] of (content as unknown[]).entries()) {
          if (!isRecord(part) || typeof part.type !== 'string') {
            return invalid(
              `Missing required parameter: '${at}.content[${j}].type'.`,
              `${at}.content[${j}].type`,
              'missing_required_parameter',
            );
          }
        }
      }
    }
  }
  for (const key of ['max_tokens', 'max_completion_tokens']) {
    const v = body[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      return invalid(
        `Invalid type for '${key}': expected an integer, but got ${typeName(v)} instead.`,
        key,
        'invalid_type',
      );
    }
    if (v < 1) {
      return invalid(
        `Invalid '${key}': integer below minimum value. Expected a value >= 1, but got ${v} instead.`,
        key,
        'integer_below_min_value',
      );
    }
  }
  if (body.model.includes('search')) {
    const bad = SEARCH_INCOMPATIBLE.find((k) => body[k] !== undefined && body[k] !== null);
    if (bad) {
      return invalid(`Model incompatible request argument supplied: ${bad}`, null, null);
    }
  }
  return null;
}

function maskKey(key: string): string {
  if (key.length <= 8) return '*'.repeat(key.length);
  return `${key.slice(0, 3)}${'*'.repeat(Math.min(key.length - 7, 20))}${key.slice(-4)}`;
}

/** Cuts text so that it fits `maxTokens` by the same estimate. */
function truncateToTokens(text: string, maxTokens: number): string {
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

interface Directives {
  reply?: string;
  len?: number;
  fail?: number;
  delay?: number;
}

function parseDirectives(text: string): Directives {
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

export async function startLlmProvider(
  options: StartLlmProviderOptions = {},
): Promise<LlmProviderStandIn> {
  let latencyMs = options.latencyMs ?? 0;
  let handler: LlmHandler | null = options.handler ?? null;
  let records: LlmRequestRecord[] = [];
  let failures: Array<{
    status: number;
    remaining: number;
    body?: unknown;
    opts: LlmFailureOptions;
  }> = [];
  let down: false | 'reset' | '503' = false;
  let queued: Array<string | LlmReply> = [];
  let seq = 0;
  const listeners = new Set<() => void>();
  const finished = new WeakSet<LlmRequestRecord>();

  function finish(rec: LlmRequestRecord): void {
    finished.add(rec);
    for (const l of [...listeners]) l();
  }

  function defaultReply(call: LlmCall): string {
    const lastUser = [...call.messages].reverse().find((m) => m.role === 'user');
    const text = messageText(lastUser?.content).replace(/\s+/g, ' ').trim();
    return `[${call.model}] 了解しました: ${[...text].slice(0, 40).join('')}`;
  }

  async function produceReply(call: LlmCall, directives: Directives): Promise<LlmReply> {
    if (directives.reply !== undefined) return { content: directives.reply };
    if (directives.len !== undefined) {
      const n = directives.len;
      const repeated = LONG_FILLER.repeat(Math.ceil(n / LONG_FILLER.length) || 1);
      return { content: repeated.slice(0, n) };
    }
    const next = queued.shift();
    if (next !== undefined) return typeof next === 'string' ? { content: next } : next;
    if (handler) {
      const out = await handler(call);
      return typeof out === 'string' ? { content: out } : out;
    }
    return { content: defaultReply(call) };
  }

  function withSearch(call: LlmCall, reply: LlmReply): LlmReply {
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

  async function handleChat(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    path: string,
  ): Promise<void> {
    const requestId = `req_${randomBytes(16).toString('hex')}`;
    const started = Date.now();
    const retryHeader = req.headers['x-stainless-retry-count'];
    const retryCount =
      typeof retryHeader === 'string' && /^\d+$/.test(retryHeader)
        ? Number(retryHeader)
        : undefined;
    const raw = await readBody(req, 20 * 1024 * 1024);
    const parsed = parseJson(raw);
    const body: unknown = parsed.ok ? parsed.value : raw.toString('utf8');
    const rec: LlmRequestRecord = {
      seq: ++seq,
      path,
      body,
      status: 0,
      ...(retryCount !== undefined ? { retryCount } : {}),
      at: new Date(),
    };
    if (isRecord(body)) {
      if (typeof body.model === 'string') rec.model = body.model;
      if (Array.isArray(body.messages)) rec.messages = body.messages as ChatMessageInput[];
      if (typeof body.max_tokens === 'number') rec.max_tokens = body.max_tokens;
      if (typeof body.max_completion_tokens === 'number') {
        rec.max_completion_tokens = body.max_completion_tokens;
      }
    }
    records.push(rec);

    const answer = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      rec.status = status;
      sendJson(res, status, payload, {
        'x-request-id': requestId,
        'openai-version': '2020-10-01',
        'openai-processing-ms': String(Date.now() - started),
        ...headers,
      });
      finish(rec);
    };

    if (down === 'reset') {
      rec.status = 0;
      req.socket.destroy();
      finish(rec);
      return;
    }

    const lastUser =
      isRecord(body) && Array.isArray(body.messages)
        ? [...(body.messages as unknown[])]
            .reverse()
            .find((m): m is ChatMessageInput => isRecord(m) && m.role === 'user')
        : undefined;
    const directives = parseDirectives(messageText(lastUser?.content));

    const wait = latencyMs + (directives.delay ?? 0);
    if (wait > 0) await sleep(wait);
    if (res.destroyed) {
      // The client gave up (timeout/abort) while we were "thinking".
      rec.status = 0;
      finish(rec);
      return;
    }

    if (down === '503') return answer(503, defaultFailure(503));

    const auth = req.headers.authorization;
    const presented = auth?.startsWith('Bearer ') ? auth.slice(7).trim() : undefined;
    if (options.apiKey !== undefined && !presented) {
      return answer(
        401,
        errorBody({
          message:
            "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.",
          type: 'invalid_request_error',
          param: null,
          code: null,
        }),
      );
    }
    if (options.apiKey !== undefined && presented !== options.apiKey) {
      return answer(
        401,
        errorBody({
          message: `Incorrect API key provided: ${maskKey(presented ?? '')}. You can find your API key at https://platform.openai.com/account/api-keys.`,
          type: 'invalid_request_error',
          param: null,
          code: 'invalid_api_key',
        }),
      );
    }

    const failure = failures.find((f) => f.remaining > 0);
    if (failure) {
      failure.remaining--;
      failures = failures.filter((f) => f.remaining > 0);
      const retryAfter: Record<string, string> =
        failure.status === 429 || failure.status === 503 ? { 'retry-after': '1' } : {};
      return answer(failure.status, failure.body ?? defaultFailure(failure.status), {
        ...retryAfter,
        ...failure.opts.headers,
      });
    }
    if (directives.fail !== undefined) {
      return answer(directives.fail, defaultFailure(directives.fail));
    }

    if (!parsed.ok) {
      return answer(
        400,
        errorBody({
          message:
            "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)",
          type: 'invalid_request_error',
          param: null,
          code: null,
        }),
      );
    }
    if (!isRecord(body)) {
      return answer(400, errorBody(invalid('The request body must be a JSON object.', null, null)));
    }
    const problem = validate(body);
    if (problem) {
      const { status, ...rest } = problem;
      return answer(status, errorBody(rest));
    }
    const model = body.model as string;
    if (options.models && !options.models.includes(model)) {
      return answer(
        404,
        errorBody({
          message: `The model \`${model}\` does not exist or you do not have access to it.`,
          type: 'invalid_request_error',
          param: null,
          code: 'model_not_found',
        }),
      );
    }

    const call: LlmCall = { model, messages: body.messages as ChatMessageInput[], body };
    let reply = await produceReply(call, directives);
    const searches = model.includes('search') ? 1 : 0;
    if (searches) reply = withSearch(call, reply);

    let content = reply.content;
    let finishReason: string = reply.finish_reason ?? 'stop';
    const limit =
      typeof body.max_completion_tokens === 'number'
        ? body.max_completion_tokens
        : typeof body.max_tokens === 'number'
          ? body.max_tokens
          : undefined;
    if (limit !== undefined && estimateTokens(content) > limit) {
      content = truncateToTokens(content, limit);
      finishReason = 'length';
    }
    const promptTokens =
      estimatePromptTokens(call.messages) +
      (body.tools !== undefined ? estimateTokens(JSON.stringify(body.tools)) : 0);
    const completionTokens = Math.max(1, estimateTokens(content));
    const usage: CompletionUsageShape = {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    };
    rec.reply = { content, finish_reason: finishReason, usage, searches };
    return answer(200, {
      id: `chatcmpl-${randomBytes(15).toString('base64url')}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content,
            refusal: null,
            annotations: reply.annotations ?? [],
          },
          logprobs: null,
          finish_reason: finishReason,
        },
      ],
      usage,
      service_tier: 'default',
      system_fingerprint: 'fp_stand_in',
    });
  }

  class InspectionError extends Error {}

  async function handleInspection(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    method: string,
    path: string,
  ): Promise<void> {
    const send = (status: number, payload: unknown) => sendJson(res, status, payload, CORS_HEADERS);
    const ok = () => sendEmpty(res, 204, CORS_HEADERS);
    if (method === 'OPTIONS') return ok();
    const readJson = async (): Promise<Record<string, unknown>> => {
      const raw = await readBody(req, 20 * 1024 * 1024);
      if (raw.length === 0) return {};
      const parsed = parseJson(raw);
      if (!parsed.ok || !isRecord(parsed.value))
        throw new InspectionError('body must be a JSON object');
      return parsed.value;
    };
    try {
      if (method === 'GET' && (path === '/__stand-in' || path === '/__stand-in/health')) {
        return send(200, { ok: true, service: 'llm-provider', baseURL: `${baseUrl}/v1` });
      }
      if (method === 'GET' && path === '/__stand-in/requests') {
        return send(200, { requests: records });
      }
      if (method === 'POST' && path === '/__stand-in/reset') {
        api.reset();
        return ok();
      }
      if (method === 'POST' && path === '/__stand-in/latency') {
        const body = await readJson();
        if (typeof body.ms !== 'number' || body.ms < 0)
          throw new InspectionError('ms must be >= 0');
        api.setLatency(body.ms);
        return ok();
      }
      if (method === 'POST' && path === '/__stand-in/fail') {
        const body = await readJson();
        if (typeof body.status !== 'number')
          throw new InspectionError('status (number) is required');
        api.failNext(
          body.status,
          typeof body.count === 'number' ? body.count : 1,
          body.body,
          isRecord(body.headers) ? { headers: body.headers as Record<string, string> } : {},
        );
        return ok();
      }
      if (method === 'POST' && path === '/__stand-in/down') {
        const body = await readJson();
        if (typeof body.down !== 'boolean') throw new InspectionError('down (boolean) is required');
        if (body.mode !== undefined && body.mode !== 'reset' && body.mode !== '503') {
          throw new InspectionError("mode must be 'reset' or '503'");
        }
        api.setDown(body.down, body.mode as 'reset' | '503' | undefined);
        return ok();
      }
      if (method === 'POST' && path === '/__stand-in/replies') {
        const body = await readJson();
        const replies = body.replies;
        if (
          !Array.isArray(replies) ||
          !replies.every(
            (r) => typeof r === 'string' || (isRecord(r) && typeof r.content === 'string'),
          )
        ) {
          throw new InspectionError('replies must be an array of strings or {content} objects');
        }
        api.queueReply(...(replies as Array<string | LlmReply>));
        return ok();
      }
      return send(404, { message: `no inspection endpoint ${method} ${path}` });
    } catch (err) {
      if (err instanceof InspectionError) return send(400, { message: err.message });
      throw err;
    }
  }

  let baseUrl = '';
  const listening = await listen(
    async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://stand-in');
      const method = req.method ?? 'GET';
      const path = url.pathname;
      if (path === '/__stand-in' || path.startsWith('/__stand-in/')) {
        return handleInspection(req, res, method, path);
      }
      if (path === '/v1/chat/completions' || path === '/chat/completions') {
        if (method !== 'POST') {
          return sendJson(
            res,
            405,
            errorBody(invalid(`Invalid method for URL (${method} ${path})`, null, null)),
          );
        }
        return handleChat(req, res, path);
      }
      return sendJson(res, 404, errorBody(invalid(`Invalid URL (${method} ${path})`, null, null)));
    },
    options.port ?? 0,
    options.host ?? '127.0.0.1',
  );
  baseUrl = listening.url;

  const api: LlmProviderStandIn = {
    url: listening.url,
    baseURL: `${listening.url}/v1`,
    port: listening.port,
    close: () => closeServer(listening.server),
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
  return api;
}

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
