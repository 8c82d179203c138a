import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  BusinessError,
  DEFAULT_MESSAGES,
  ERROR_CODES,
  HTTP_STATUS,
  httpStatusOf,
  isBusinessError,
  isErrorCode,
} from '../../domain/errors';

describe('business errors', () => {
  it('maps each code to its HTTP status (seed 004 and the spec)', () => {
    expect(HTTP_STATUS).toEqual({
      USAGE_LIMIT_EXCEEDED: 429,
      PLAN_RESTRICTION: 403,
      INSUFFICIENT_POINTS: 402,
      SYSTEM_ERROR: 500,
      INVALID_INPUT: 400,
      UNKNOWN_USER: 404,
      UNKNOWN_MODEL: 400,
    });
    for (const code of ERROR_CODES) expect(httpStatusOf(code)).toBe(HTTP_STATUS[code]);
  });

  it('uses seed 004 texts by default', () => {
    expect(new BusinessError('PLAN_RESTRICTION').message).toBe(
      '現在のプランではAIChatをご利用いただけません。プランをアップグレードしてください。',
    );
    expect(new BusinessError('SYSTEM_ERROR').message).toBe(
      '一時的なエラーが発生しました。しばらく後にお試しください。',
    );
    for (const code of ERROR_CODES) expect(DEFAULT_MESSAGES[code]).not.toBe('');
  });

  it('carries code, message, details and status, and is an Error', () => {
    const err = new BusinessError('INSUFFICIENT_POINTS', 'not enough', {
      required: 12,
      available: 3,
    });
    expect(err).toBeInstanceOf(Error);
    expect(err).toBeInstanceOf(BusinessError);
    expect(err.name).toBe('BusinessError');
    expect(err.httpStatus).toBe(402);
    expect(err.retryable).toBe(false);
    expect(new BusinessError('SYSTEM_ERROR').retryable).toBe(true);
    expect(err.toJSON()).toEqual({
      code: 'INSUFFICIENT_POINTS',
      message: 'not enough',
      details: { required: 12, available: 3 },
    });
  });

  it('survives a JSON round trip', () => {
    const err = new BusinessError('USAGE_LIMIT_EXCEEDED', undefined, {
      resetTime: '2026-11-23T00:00:00+09:00',
      remaining: 0,
    });
    const back = BusinessError.fromJSON(JSON.parse(JSON.stringify(err)));
    expect(back.toJSON()).toEqual(err.toJSON());
    expect(BusinessError.fromJSON({ code: 'NOPE' }).code).toBe('SYSTEM_ERROR');
  });

  it('recognises business errors, also from another copy of the module', () => {
    expect(isBusinessError(new BusinessError('UNKNOWN_USER'))).toBe(true);
    expect(isBusinessError({ name: 'BusinessError', code: 'UNKNOWN_USER' })).toBe(true);
    expect(isBusinessError(new Error('x'))).toBe(false);
    expect(isBusinessError({ name: 'BusinessError', code: 'NOPE' })).toBe(false);
    expect(isErrorCode('PLAN_RESTRICTION')).toBe(true);
    expect(isErrorCode('plan_restriction')).toBe(false);
  });

  it('imports nothing, so Temporal workflow code can use it', () => {
    const source = readFileSync(path.join(__dirname, '../../domain/errors.ts'), 'utf8');
    expect(source).not.toMatch(/^\s*import\s/m);
    expect(source).not.toMatch(/\brequire\(/);
  });
});
