import { ApplicationFailure } from '@temporalio/activity';
import { isRequestRejected } from '../../domain/http-rejection';

/**
 * Which activity failures are deterministic: the same input fails the same way on every
 * attempt, so retrying only burns time (issue #12: a NUL in a text made the settlement retry
 * for ever). One classifier for every activity a chat turn or session runs; the workflows keep
 * their retry policies for what is left (connection errors, timeouts, 5xx, 429), and bound
 * those too (workflows/support/activity-options.ts).
 *
 * The failure's message names the kind and code only: a database or SDK message may quote the
 * values it refused, and those are the user's words.
 */

/** Failure types this module throws (ApplicationFailure.type). */
export const DETERMINISTIC_FAILURE_TYPES = [
  'DATA_REJECTED',
  'LINE_REJECTED',
  'LLM_REJECTED',
] as const;
export type DeterministicFailureType = (typeof DETERMINISTIC_FAILURE_TYPES)[number];

/**
 * Prisma's request errors that describe the request itself: value too long, invalid value,
 * constraint failed, unique/foreign key, missing required value, relation violation, input
 * error, value out of range, inconsistent column data.
 */
const PRISMA_DATA_CODES = new Set([
  'P2000',
  'P2001',
  'P2002',
  'P2003',
  'P2004',
  'P2005',
  'P2006',
  'P2007',
  'P2011',
  'P2012',
  'P2014',
  'P2019',
  'P2020',
  'P2023',
]);

/**
 * PostgreSQL SQLSTATEs: class 22 (data exception: 22021 invalid byte sequence, 22P05
 * untranslatable character, 22001 too long, ...) and class 23 (integrity constraint).
 * 40001/40P01 (serialization, deadlock) and connection classes stay retryable.
 */
const SQLSTATE_DATA = /^2[23][0-9A-Z]{3}$/;
/**
 * How a data error shows in a raw query's or unknown request's message when the driver does not
 * expose the SQLSTATE as a field ("Code: `22021`", "SQLSTATE 22P05", PostgreSQL's own words).
 * Anchored on those words, so a number elsewhere (a port, an ID) is never taken for one.
 */
const SQLSTATE_IN_MESSAGE =
  /(?:\bcode:? [`"']?|SQLSTATE\[?)(2[23][0-9A-Z]{3})\b|invalid byte sequence for encoding|untranslatable character/i;

function recordOf(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null
    ? (value as Record<string, unknown>)
    : undefined;
}

/** The SQLSTATE of a data or integrity error, or the Prisma code of a request error, if any. */
function dataErrorCode(err: Record<string, unknown>): string | undefined {
  const name = typeof err.name === 'string' ? err.name : '';
  const code = typeof err.code === 'string' ? err.code : undefined;
  if (name === 'PrismaClientValidationError') return 'validation';
  if (code && PRISMA_DATA_CODES.has(code)) return code;
  if (code && SQLSTATE_DATA.test(code)) return code;
  const meta = recordOf(err.meta);
  const metaCode = typeof meta?.code === 'string' ? meta.code : undefined;
  if (metaCode && SQLSTATE_DATA.test(metaCode)) return metaCode;
  // Raw queries (P2010) and unknown request errors carry the database's words in the message.
  if (name === 'PrismaClientUnknownRequestError' || code === 'P2010') {
    const message = typeof err.message === 'string' ? err.message : '';
    const found = SQLSTATE_IN_MESSAGE.exec(message);
    if (found) return found[1] ?? '22021';
  }
  const cause = recordOf(err.cause);
  return cause && cause !== err ? dataErrorCode(cause) : undefined;
}

/**
 * The non-retryable failure `err` stands for when it is deterministic; undefined when a retry
 * may help (or when it is an ApplicationFailure already: the activity decided).
 */
export function deterministicFailure(err: unknown): ApplicationFailure | undefined {
  if (err instanceof ApplicationFailure) return undefined;
  const e = recordOf(err);
  if (!e) return undefined;
  const dataCode = dataErrorCode(e);
  if (dataCode) {
    return ApplicationFailure.nonRetryable(
      `the database refused the data (${dataCode})`,
      'DATA_REJECTED',
      { code: dataCode },
    );
  }
  const name = typeof e.name === 'string' ? e.name : '';
  // @line/bot-sdk's HTTPFetchError (LINE) and openai's APIError (the model) carry `status`.
  if (name === 'HTTPFetchError' && isRequestRejected(e.status)) {
    return ApplicationFailure.nonRetryable(
      `LINE refused the request (${e.status})`,
      'LINE_REJECTED',
      { status: e.status },
    );
  }
  if (/Error$/.test(name) && 'headers' in e && isRequestRejected(e.status)) {
    return ApplicationFailure.nonRetryable(
      `the model provider refused the request (${e.status})`,
      'LLM_REJECTED',
      { status: e.status },
    );
  }
  return undefined;
}

/** Rethrows `err` as its deterministic failure if it is one, else as it is. */
export function classifyFailure(err: unknown): unknown {
  return deterministicFailure(err) ?? err;
}

/**
 * The same activities, each failing non-retryably on a deterministic error. Wraps every
 * function property; the names (the activity types) stay the same.
 */
export function withFailureClassification<T extends object>(activities: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] =
      typeof fn === 'function'
        ? async (...args: unknown[]) => {
            try {
              return await (fn as (...a: unknown[]) => Promise<unknown>)(...args);
            } catch (err) {
              throw classifyFailure(err);
            }
          }
        : fn;
  }
  return wrapped as T;
}
