/**
 * Business error codes shared by the API, activities and workflows.
 *
 * This file is imported from Temporal workflow code, which runs in a deterministic sandbox:
 * it must stay free of Node imports (and of any import at all, to be safe).
 */

export const ERROR_CODES = [
  'USAGE_LIMIT_EXCEEDED',
  'PLAN_RESTRICTION',
  'INSUFFICIENT_POINTS',
  'SYSTEM_ERROR',
  'INVALID_INPUT',
  'UNKNOWN_USER',
  'UNKNOWN_MODEL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = Object.freeze({
  USAGE_LIMIT_EXCEEDED: 429,
  PLAN_RESTRICTION: 403,
  INSUFFICIENT_POINTS: 402,
  SYSTEM_ERROR: 500,
  INVALID_INPUT: 400,
  UNKNOWN_USER: 404,
  UNKNOWN_MODEL: 400,
});

/**
 * Default texts. The first three are seed 004's wording; the LINE replies use the
 * configurable `catalog.messages` instead, so these are the fallback for the HTTP API and logs.
 */
export const DEFAULT_MESSAGES: Readonly<Record<ErrorCode, string>> = Object.freeze({
  USAGE_LIMIT_EXCEEDED: '本日の利用回数上限に達しました。明日の00:00にリセットされます。',
  PLAN_RESTRICTION:
    '現在のプランではAIChatをご利用いただけません。プランをアップグレードしてください。',
  INSUFFICIENT_POINTS: 'ポイントが不足しています。',
  SYSTEM_ERROR: '一時的なエラーが発生しました。しばらく後にお試しください。',
  INVALID_INPUT: '入力内容が正しくありません。',
  UNKNOWN_USER: 'ユーザーが見つかりません。',
  UNKNOWN_MODEL: 'モデルが見つかりません。',
});

/**
 * Only SYSTEM_ERROR is worth retrying: every other code is a decision about the input or the
 * user's state, and retrying it (e.g. as a Temporal activity) would give the same answer.
 */
export const RETRYABLE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['SYSTEM_ERROR']);

/** JSON-safe extras; kept flat so they survive Temporal's payload conversion unchanged. */
export interface BusinessErrorDetails {
  /** ISO 8601 with offset, e.g. `2026-11-23T00:00:00+09:00`. */
  resetTime?: string;
  remaining?: number;
  dailyLimit?: number;
  required?: number;
  available?: number;
  field?: string;
  [key: string]: string | number | boolean | null | undefined;
}

export interface BusinessErrorJSON {
  code: ErrorCode;
  message: string;
  details: BusinessErrorDetails;
}

export class BusinessError extends Error {
  override readonly name = 'BusinessError';
  readonly code: ErrorCode;
  readonly details: BusinessErrorDetails;

  constructor(code: ErrorCode, message?: string, details: BusinessErrorDetails = {}) {
    super(message ?? DEFAULT_MESSAGES[code]);
    this.code = code;
    this.details = { ...details };
    // Keeps `instanceof` working when compiled to older targets or crossing realms poorly.
    Object.setPrototypeOf(this, new.target.prototype);
  }

  get httpStatus(): number {
    return HTTP_STATUS[this.code];
  }

  get retryable(): boolean {
    return RETRYABLE_CODES.has(this.code);
  }

  toJSON(): BusinessErrorJSON {
    return { code: this.code, message: this.message, details: { ...this.details } };
  }

  /** Rebuilds the error after it crossed a serialization boundary (HTTP body, Temporal failure). */
  static fromJSON(json: { code: string; message?: string; details?: unknown }): BusinessError {
    const code: ErrorCode = isErrorCode(json.code) ? json.code : 'SYSTEM_ERROR';
    const details =
      json.details && typeof json.details === 'object'
        ? (json.details as BusinessErrorDetails)
        : {};
    return new BusinessError(code, json.message, details);
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/** Duck-typed so it also recognises errors from another copy of this module (e.g. the sandbox). */
export function isBusinessError(value: unknown): value is BusinessError {
  if (value instanceof BusinessError) return true;
  if (!value || typeof value !== 'object') return false;
  const v = value as { name?: unknown; code?: unknown };
  return v.name === 'BusinessError' && isErrorCode(v.code);
}

export function httpStatusOf(code: ErrorCode): number {
  return HTTP_STATUS[code];
}

export function invalidInput(message: string, details: BusinessErrorDetails = {}): BusinessError {
  return new BusinessError('INVALID_INPUT', message, details);
}
