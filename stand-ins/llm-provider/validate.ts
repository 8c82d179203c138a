import { isRecord } from '../http-kit';

/** Request validation and error bodies of the chat-completions API, as OpenAI answers. */

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

export interface OpenAiError {
  status: number;
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

export function errorBody(e: Omit<OpenAiError, 'status'>): unknown {
  return { error: { message: e.message, type: e.type, param: e.param, code: e.code } };
}

/** OpenAI's 404 for a model the key cannot use (the stand-in's `models` list). */
export function modelNotFound(model: string): unknown {
  return errorBody({
    message: `The model \`${model}\` does not exist or you do not have access to it.`,
    type: 'invalid_request_error',
    param: null,
    code: 'model_not_found',
  });
}

export function defaultFailure(status: number): unknown {
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

export function invalid(message: string, param: string | null, code: string | null): OpenAiError {
  return { status: 400, message, type: 'invalid_request_error', param, code };
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a decimal';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/** OpenAI's checks of a chat-completions body, first problem only, worded as OpenAI words it. */
export function validate(body: Record<string, unknown>): OpenAiError | null {
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

/** An API key as OpenAI echoes it in its 401 (first 3 and last 4 characters). */
export function maskKey(key: string): string {
  if (key.length <= 8) return '*'.repeat(key.length);
  return `${key.slice(0, 3)}${'*'.repeat(Math.min(key.length - 7, 20))}${key.slice(-4)}`;
}
