import { ApplicationFailure } from '@temporalio/common';
import { deterministicFailure, withFailureClassification } from '../../activities/support/failures';

/** Which activity errors are deterministic (non-retryable) and which a retry may cure. */
describe('deterministicFailure', () => {
  const named = (name: string, fields: Record<string, unknown>) =>
    Object.assign(new Error('the database quoted the user: abc'), { name, ...fields });

  it.each([
    [
      'a NUL in a text (22021, raw query)',
      named('PrismaClientKnownRequestError', { code: 'P2010', meta: { code: '22021' } }),
      'DATA_REJECTED',
    ],
    [
      'an untranslatable character (22P05)',
      named('PrismaClientUnknownRequestError', {
        message: 'Raw query failed. Code: `22P05`. Message: unsupported Unicode escape sequence',
      }),
      'DATA_REJECTED',
    ],
    [
      'invalid byte sequence in the message',
      named('PrismaClientUnknownRequestError', {
        message: 'invalid byte sequence for encoding "UTF8": 0x00',
      }),
      'DATA_REJECTED',
    ],
    [
      'a value too long (P2000)',
      named('PrismaClientKnownRequestError', { code: 'P2000' }),
      'DATA_REJECTED',
    ],
    ['a Prisma validation error', named('PrismaClientValidationError', {}), 'DATA_REJECTED'],
    ['a unique violation (23505)', named('DatabaseError', { code: '23505' }), 'DATA_REJECTED'],
    ['LINE 400', named('HTTPFetchError', { status: 400 }), 'LINE_REJECTED'],
    ['the model 400', named('BadRequestError', { status: 400, headers: {} }), 'LLM_REJECTED'],
  ])('%s is non-retryable', (_, err, type) => {
    const failure = deterministicFailure(err);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure?.type).toBe(type);
    expect(failure?.nonRetryable).toBe(true);
    expect(failure?.message).not.toContain('abc');
  });

  it.each([
    ['a dropped connection', named('PrismaClientKnownRequestError', { code: 'P1001' })],
    [
      'an unreachable server on port 22021',
      named('PrismaClientUnknownRequestError', { message: "Can't reach database at db:22021" }),
    ],
    ['a deadlock (40P01)', named('DatabaseError', { code: '40P01' })],
    ['LINE 429', named('HTTPFetchError', { status: 429 })],
    ['LINE 500', named('HTTPFetchError', { status: 500 })],
    ['LINE 409 (retry key seen)', named('HTTPFetchError', { status: 409 })],
    ['the model 429', named('RateLimitError', { status: 429, headers: {} })],
    ['a plain error', new Error('socket hang up')],
    ['an activity decision', ApplicationFailure.retryable('x', 'SYSTEM_ERROR')],
  ])('%s stays as it is (retried within its bound)', (_, err) => {
    expect(deterministicFailure(err)).toBeUndefined();
  });

  it('wraps every activity, keeping its name and result', async () => {
    const wrapped = withFailureClassification({
      async ok(n: number) {
        return n + 1;
      },
      async bad(): Promise<void> {
        throw named('HTTPFetchError', { status: 400 });
      },
    });
    await expect(wrapped.ok(1)).resolves.toBe(2);
    await expect(wrapped.bad()).rejects.toMatchObject({
      type: 'LINE_REJECTED',
      nonRetryable: true,
    });
  });
});
