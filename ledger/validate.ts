import { BusinessError, invalidInput } from '../domain/errors';
import type { UsageRecord } from '../domain/pricing';
import { isUuid } from '../domain/uuid';

/**
 * Input checks of the ledger operations. They run before any transaction starts, so bad input
 * is refused with a typed BusinessError and changes nothing. Inputs may come straight from a
 * Temporal payload (plain JSON), so nothing is trusted to match its TypeScript type.
 */

/** Longest accepted key (turn ID, source ref); workflow IDs and Stripe IDs are far shorter. */
export const MAX_KEY_LENGTH = 255;

/** Largest value of a PostgreSQL `integer` column (lots, points, tokens). */
const MAX_INT4 = 2_147_483_647;

export function requireKey(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > MAX_KEY_LENGTH)
    throw invalidInput(`${field} must be a non-empty string of at most ${MAX_KEY_LENGTH}`, {
      field,
    });
  return value;
}

/** users.id is a UUID: anything else is malformed input (a well-formed unknown ID is UNKNOWN_USER). */
export function requireUserId(value: unknown, field = 'userId'): string {
  if (!isUuid(value)) throw invalidInput(`${field} must be a user ID (UUID)`, { field });
  return value.toLowerCase();
}

/** A points amount stored in an `integer` column. */
export function requirePoints(value: unknown, field: string, opts: { allowZero: boolean }): number {
  if (
    typeof value !== 'number' ||
    !Number.isSafeInteger(value) ||
    value < 0 ||
    (value === 0 && !opts.allowZero) ||
    value > MAX_INT4
  )
    throw invalidInput(
      `${field} must be a ${opts.allowZero ? 'non-negative' : 'positive'} integer ≤ ${MAX_INT4}`,
      { field },
    );
  return value;
}

export function requireDelta(value: unknown, field = 'delta'): number {
  if (
    typeof value !== 'number' ||
    !Number.isSafeInteger(value) ||
    value === 0 ||
    Math.abs(value) > MAX_INT4
  )
    throw invalidInput(`${field} must be a non-zero integer within ±${MAX_INT4}`, { field });
  return value;
}

export function requireReason(value: unknown, field = 'reason'): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > 500)
    throw invalidInput(`${field} must be a non-empty string of at most 500`, { field });
  return value;
}

/** A Date or an ISO 8601 string; `null` passes through when allowed (= never expires). */
export function requireInstant(value: unknown, field: string): Date {
  const date =
    value instanceof Date
      ? new Date(value.getTime())
      : typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value)
        ? new Date(value)
        : null;
  if (!date || Number.isNaN(date.getTime()))
    throw invalidInput(`${field} must be a Date or an ISO 8601 string`, { field });
  return date;
}

export function optionalInstant(value: unknown, field: string): Date | null {
  return value === null || value === undefined ? null : requireInstant(value, field);
}

/** A JSON value as Prisma stores it; refuses what JSON cannot represent (undefined, BigInt, cycles). */
export function requireJson(value: unknown, field: string): unknown {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined;
  }
  if (text === undefined) throw invalidInput(`${field} must be JSON-serializable`, { field });
  if (text.length > 1_000_000) throw invalidInput(`${field} is too large`, { field });
  return JSON.parse(text) as unknown;
}

export function requireObject(value: unknown, field: string): Record<string, unknown> {
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw invalidInput(`${field} must be an object`, { field });
  return requireJson(value, field) as Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------
// Usage records (domain/pricing), checked against the columns they go to.

/** Decimal(18,8): up to 10 integer digits and 8 decimals. */
const MONEY = /^\d{1,10}(\.\d{1,8})?$/;
/**
 * Decimal(24,12) (unit prices, rates): up to 12 integer digits. More than 12 decimals (a price
 * per million tokens with more than 6) is accepted and rounded by PostgreSQL: these columns
 * record the rates for cost tracking, the points were already computed exactly, and refusing
 * a settlement after the model has answered would be worse than a rounded audit value.
 */
const RATE = /^\d{1,12}(\.\d+)?$/;

function text(value: unknown, pattern: RegExp, field: string): string {
  if (typeof value !== 'string' || !pattern.test(value))
    throw invalidInput(`${field} must be a decimal string that fits its column`, { field });
  return value;
}

/** A number as its shortest decimal string, checked like `text`. */
function rate(value: unknown, field: string): string {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw invalidInput(`${field} must be a positive number`, { field });
  return text(plainDecimal(value), RATE, field);
}

/** 1e-7 → "0.0000001" (String() would give exponent notation). */
function plainDecimal(value: number): string {
  const s = String(value);
  if (!/e/i.test(s)) return s;
  return value.toFixed(20).replace(/0+$/, '').replace(/\.$/, '');
}

function count(value: unknown, field: string, opts: { positive: boolean }): number {
  if (
    typeof value !== 'number' ||
    !Number.isSafeInteger(value) ||
    value < (opts.positive ? 1 : 0) ||
    value > MAX_INT4
  )
    throw invalidInput(
      `${field} must be a ${opts.positive ? 'positive' : 'non-negative'} integer`,
      {
        field,
      },
    );
  return value;
}

const IO_TYPES: readonly unknown[] = ['in', 'out', 'search', 'transcription'];
function isIoType(value: unknown): value is CheckedRecord['ioType'] {
  return IO_TYPES.includes(value);
}

/** A usage record in the shape of the usage_records columns. */
export interface CheckedRecord {
  ioType: 'in' | 'out' | 'search' | 'transcription';
  model: string;
  platform: string;
  tokens: number | null;
  searchCount: number | null;
  /** Transcription records: whole seconds of audio billed. */
  audioSeconds: number | null;
  dollars: string;
  yen: string;
  points: number;
  dollarPerToken: string | null;
  dollarPerSearch: string | null;
  dollarPerAudioSecond: string | null;
  yenPerDollar: string;
  pointsPerYen: string;
}

/**
 * Records of one call: 1 to 4, one per io_type (a voice turn adds `transcription`), each from
 * a model of the catalog (else UNKNOWN_MODEL), with its unit price (else INVALID_INPUT: an
 * unpriced record would give the call away).
 */
export function requireRecords(value: unknown, knownModels: ReadonlySet<string>): CheckedRecord[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > IO_TYPES.length)
    throw invalidInput(`records must be 1 to ${IO_TYPES.length} usage records`, {
      field: 'records',
    });
  const seen = new Set<string>();
  return (value as unknown[]).map((raw, i): CheckedRecord => {
    const field = `records[${i}]`;
    if (!raw || typeof raw !== 'object')
      throw invalidInput(`${field} must be an object`, { field });
    const r = raw as Partial<Record<keyof UsageRecord | string, unknown>>;
    const ioType = r.ioType;
    if (!isIoType(ioType))
      throw invalidInput(`${field}.ioType must be in, out, search or transcription`, {
        field: `${field}.ioType`,
      });
    if (seen.has(ioType))
      throw invalidInput(`records has two "${ioType}" records`, { field: 'records' });
    seen.add(ioType);
    if (typeof r.model !== 'string' || r.model === '')
      throw invalidInput(`${field}.model is missing`, { field: `${field}.model` });
    if (!knownModels.has(r.model))
      throw new BusinessError('UNKNOWN_MODEL', `unknown model ${r.model}`, { model: r.model });
    if (typeof r.platform !== 'string' || r.platform === '')
      throw invalidInput(`${field}.platform is missing`, { field: `${field}.platform` });
    const common = {
      ioType,
      model: r.model,
      platform: r.platform,
      dollars: text(r.dollarsText, MONEY, `${field}.dollarsText`),
      yen: text(r.yenText, MONEY, `${field}.yenText`),
      points: count(r.points, `${field}.points`, { positive: false }),
      yenPerDollar: rate(r.yenPerDollar, `${field}.yenPerDollar`),
      pointsPerYen: rate(r.pointsPerYen, `${field}.pointsPerYen`),
    };
    const none = { tokens: null, searchCount: null, audioSeconds: null } as const;
    const unpriced = { dollarPerToken: null, dollarPerSearch: null, dollarPerAudioSecond: null };
    if (ioType === 'search')
      return {
        ...common,
        ...none,
        ...unpriced,
        searchCount: count(r.searchCount, `${field}.searchCount`, { positive: true }),
        dollarPerSearch: text(r.dollarPerSearchText, RATE, `${field}.dollarPerSearchText`),
      };
    if (ioType === 'transcription')
      return {
        ...common,
        ...none,
        ...unpriced,
        audioSeconds: count(r.audioSeconds, `${field}.audioSeconds`, { positive: false }),
        dollarPerAudioSecond: text(
          r.dollarPerAudioSecondText,
          RATE,
          `${field}.dollarPerAudioSecondText`,
        ),
      };
    return {
      ...common,
      ...none,
      ...unpriced,
      tokens: count(r.tokens, `${field}.tokens`, { positive: false }),
      dollarPerToken: text(r.dollarPerTokenText, RATE, `${field}.dollarPerTokenText`),
    };
  });
}

/** The models a usage record may name: every tier's, and the transcription model's. */
export function knownModelsOf(catalog: {
  modelTiers: Readonly<Record<string, { model: string }>>;
  voice?: { model: string } | undefined;
}): ReadonlySet<string> {
  const models = Object.values(catalog.modelTiers).map((t) => t.model);
  return new Set(catalog.voice ? [...models, catalog.voice.model] : models);
}
