import { closeServer, listen, sendJson } from '../http-kit';
import { handleChat } from './routes-chat';
import { handleTranscription } from './routes-audio';
import { handleInspection } from './routes-inspection';
import { createLlmState } from './state';
import type { LlmProviderStandIn, StartLlmProviderOptions } from './types';
import { errorBody, invalid } from './validate';

export { connectLlmProvider, type LlmProviderRemote } from './remote';
export { estimatePromptTokens, estimateTokens, messageText } from './tokens';
export type * from './types';

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
 * POST {url}/v1/audio/transcriptions transcribes deterministically from markers in the audio
 * bytes ([[transcript:TEXT]], [[seconds:N]], [[fail:STATUS]]; ./routes-audio.ts).
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
export async function startLlmProvider(
  options: StartLlmProviderOptions = {},
): Promise<LlmProviderStandIn> {
  const state = createLlmState(options);
  const listening = await listen(
    async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://stand-in');
      const method = req.method ?? 'GET';
      const path = url.pathname;
      if (path === '/__stand-in' || path.startsWith('/__stand-in/')) {
        return handleInspection(state, req, res, method, path);
      }
      if (path === '/v1/chat/completions' || path === '/chat/completions') {
        if (method !== 'POST') {
          return sendJson(
            res,
            405,
            errorBody(invalid(`Invalid method for URL (${method} ${path})`, null, null)),
          );
        }
        return handleChat(state, req, res, path);
      }
      if (path === '/v1/audio/transcriptions' || path === '/audio/transcriptions') {
        // Voice messages (issue #14): multipart, answered by ./routes-audio.ts.
        if (method === 'POST') return handleTranscription(state, req, res, path);
        return sendJson(
          res,
          405,
          errorBody(invalid(`Invalid method for URL (${method} ${path})`, null, null)),
        );
      }
      return sendJson(res, 404, errorBody(invalid(`Invalid URL (${method} ${path})`, null, null)));
    },
    options.port ?? 0,
    options.host ?? '127.0.0.1',
  );
  state.baseUrl = listening.url;

  return {
    url: listening.url,
    baseURL: `${listening.url}/v1`,
    port: listening.port,
    close: () => closeServer(listening.server),
    requests: state.requests,
    completions: state.completions,
    setLatency: state.setLatency,
    failNext: state.failNext,
    setDown: state.setDown,
    setHandler: state.setHandler,
    queueReply: state.queueReply,
    waitForRequests: state.waitForRequests,
    reset: state.reset,
  };
}
