import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { isRecord, parseJson, readBody, sendJson, sleep } from '../http-kit';
import { acceptsImages, imageNote, imagesNotSupported, inspectImages } from './images';
import { parseDirectives, produceReply, withSearch } from './replies';
import type { LlmState } from './state';
import { estimatePromptTokens, estimateTokens, messageText, truncateToTokens } from './tokens';
import type { ChatMessageInput, CompletionUsageShape, LlmCall, LlmRequestRecord } from './types';
import { defaultFailure, errorBody, invalid, maskKey, modelNotFound, validate } from './validate';

/**
 * POST /v1/chat/completions (and /chat/completions): every request is recorded, then answered
 * in OpenAI's order of checks: down, latency, auth, queued failures, directives, body.
 */

export async function handleChat(
  state: LlmState,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  path: string,
): Promise<void> {
  const requestId = `req_${randomBytes(16).toString('hex')}`;
  const started = Date.now();
  const retryHeader = req.headers['x-stainless-retry-count'];
  const retryCount =
    typeof retryHeader === 'string' && /^\d+$/.test(retryHeader) ? Number(retryHeader) : undefined;
  const raw = await readBody(req, 20 * 1024 * 1024);
  const parsed = parseJson(raw);
  const body: unknown = parsed.ok ? parsed.value : raw.toString('utf8');
  const rec: LlmRequestRecord = {
    seq: state.nextSeq(),
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
  state.track(rec);

  const answer = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
    rec.status = status;
    sendJson(res, status, payload, {
      'x-request-id': requestId,
      'openai-version': '2020-10-01',
      'openai-processing-ms': String(Date.now() - started),
      ...headers,
    });
    state.finish(rec);
  };

  if (state.down() === 'reset') {
    rec.status = 0;
    req.socket.destroy();
    state.finish(rec);
    return;
  }

  const lastUser =
    isRecord(body) && Array.isArray(body.messages)
      ? [...(body.messages as unknown[])]
          .reverse()
          .find((m): m is ChatMessageInput => isRecord(m) && m.role === 'user')
      : undefined;
  const directives = parseDirectives(messageText(lastUser?.content));

  const wait = state.latencyMs() + (directives.delay ?? 0);
  if (wait > 0) await sleep(wait);
  if (res.destroyed) {
    // The client gave up (timeout/abort) while we were "thinking".
    rec.status = 0;
    state.finish(rec);
    return;
  }

  if (state.down() === '503') return answer(503, defaultFailure(503));

  const auth = req.headers.authorization;
  const presented = auth?.startsWith('Bearer ') ? auth.slice(7).trim() : undefined;
  if (state.apiKey !== undefined && !presented) {
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
  if (state.apiKey !== undefined && presented !== state.apiKey) {
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

  const failure = state.takeFailure();
  if (failure) {
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
  // Image parts (vision): checked, sized and counted (stand-ins/llm-provider/images.ts).
  const seen = inspectImages(body.messages as unknown[]);
  if ('status' in seen) {
    const { status, ...rest } = seen;
    return answer(status, errorBody(rest));
  }
  if (seen.images.length > 0) rec.images = seen.images;
  const model = body.model as string;
  if (seen.images.length > 0 && !acceptsImages(model)) {
    const { status, ...rest } = imagesNotSupported();
    return answer(status, errorBody(rest));
  }
  if (state.models && !state.models.includes(model)) {
    return answer(404, modelNotFound(model));
  }

  const call: LlmCall = { model, messages: body.messages as ChatMessageInput[], body };
  let reply = await produceReply(state, call, directives);
  const searches = model.includes('search') ? 1 : 0;
  if (searches) reply = withSearch(call, reply);
  // The answer says what it saw, so a test can tell the image arrived whole.
  if (seen.images.length > 0)
    reply = { ...reply, content: `${imageNote(seen.images)} ${reply.content}` };

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
    (body.tools !== undefined ? estimateTokens(JSON.stringify(body.tools)) : 0) +
    seen.images.reduce((n, img) => n + img.tokens, 0);
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
