import type { ModelTier } from '../config/catalog';
import { BusinessError, invalidInput } from './errors';

/**
 * Usage pricing (seed 003 「使用量」 records, io_type in / out / search; `transcription` for a
 * voice message, issue #14).
 *
 * Rounding rule — the only one in the system:
 *   each record's points = ceil(yen × pointsPerYen), computed EXACTLY, and 0 usage → 0 points.
 * A turn's cost is the sum of its records' points (so at most one point of rounding per record,
 * always in the house's favour, never a free call).
 *
 * "Exactly": catalog prices and rates are decimals written by people (0.15 $/M, 150 ¥/$).
 * A binary double cannot hold 0.15, and float products such as 0.1 × 3 land a hair above the
 * true value, so a naive `Math.ceil` would charge 4 points for an exact 3. Each number is
 * therefore read back as the decimal it was written as (its shortest round-trip string, which
 * for a JSON literal is the literal itself) and multiplied as scaled BigInts; only the final
 * integer, and the display values, become numbers again.
 */

export interface Rates {
  yenPerDollar: number;
  pointsPerYen: number;
}

export interface PriceUsageInput {
  tier: ModelTier;
  rates: Rates;
  inputTokens: number;
  outputTokens: number;
  /** Web searches billed by the provider for this call; 0 or absent = none. */
  searchCount?: number;
}

interface RecordBase {
  model: string;
  platform: string;
  /** Nearest double to the exact amount; use the `…Text` form for storage. */
  dollars: number;
  /** Exact amount rounded half-up to 8 decimals, for a Decimal(18,8) column. */
  dollarsText: string;
  yen: number;
  yenText: string;
  /** Integer, see the rounding rule above. */
  points: number;
  yenPerDollar: number;
  pointsPerYen: number;
}

export interface TokenUsageRecord extends RecordBase {
  ioType: 'in' | 'out';
  tokens: number;
  dollarPerToken: number;
  /** Exact (catalog price per million ÷ 10^6), not cut to 8 decimals: cheap models need more. */
  dollarPerTokenText: string;
}

export interface SearchUsageRecord extends RecordBase {
  ioType: 'search';
  searchCount: number;
  dollarPerSearch: number;
  dollarPerSearchText: string;
}

/** A voice message's transcription (issue #14), priced per second of audio. */
export interface TranscriptionUsageRecord extends RecordBase {
  ioType: 'transcription';
  /** Whole seconds billed: the provider's duration rounded up. */
  audioSeconds: number;
  dollarPerAudioSecond: number;
  dollarPerAudioSecondText: string;
}

export type UsageRecord = TokenUsageRecord | SearchUsageRecord | TranscriptionUsageRecord;

export interface PricedUsage {
  /** Always `in` and `out`; `search` only when searches happened (seed: up to 3 records). */
  records: UsageRecord[];
  /** Sum of the records' points. */
  points: number;
}

/** Seed 003: one API call → `in`, `out` and, for a search model that searched, `search`. */
export function priceUsage(input: PriceUsageInput): PricedUsage {
  const { tier, rates } = input;
  const searchCount = input.searchCount ?? 0;
  assertTier(tier);
  assertCount(input.inputTokens, 'inputTokens');
  assertCount(input.outputTokens, 'outputTokens');
  assertCount(searchCount, 'searchCount');

  const records: UsageRecord[] = [
    tokenRecord('in', tier, rates, input.inputTokens, tier.dollarPerMillionInputTokens),
    tokenRecord('out', tier, rates, input.outputTokens, tier.dollarPerMillionOutputTokens),
  ];
  if (searchCount > 0) {
    // Pricing a search at 0 would hide a catalog gap and give searches away; the tier's price
    // is what is unknown, hence UNKNOWN_MODEL rather than INVALID_INPUT.
    if (tier.dollarPerSearch === undefined)
      throw new BusinessError('UNKNOWN_MODEL', `model ${tier.model} has no price per search`, {
        model: tier.model,
        field: 'dollarPerSearch',
      });
    const perSearch = decimalOf(tier.dollarPerSearch, 'dollarPerSearch');
    const money = amounts(mul(perSearch, fromInt(searchCount)), rates);
    records.push({
      ioType: 'search',
      model: tier.model,
      platform: tier.platform,
      searchCount,
      dollarPerSearch: toNumber(perSearch),
      dollarPerSearchText: toPlain(perSearch),
      ...money,
    });
  }
  const points = records.reduce((sum, r) => sum + r.points, 0);
  if (!Number.isSafeInteger(points)) throw invalidInput('usage too large to price');
  return { records, points };
}

/** The catalog's transcription model and its price (config/catalog.ts `voice`). */
export interface TranscriptionPrice {
  model: string;
  platform: string;
  dollarPerAudioSecond: number;
}

/**
 * A transcription's record: `seconds` (the provider's duration, fractional) is billed in whole
 * seconds rounded up, then by the same rounding rule as every record.
 */
export function priceTranscription(input: {
  voice: TranscriptionPrice;
  rates: Rates;
  seconds: number;
}): TranscriptionUsageRecord {
  const { voice, rates } = input;
  if (!voice || typeof voice.model !== 'string' || voice.model === '')
    throw new BusinessError('UNKNOWN_MODEL', 'transcription model is missing', { field: 'voice' });
  if (typeof input.seconds !== 'number' || !Number.isFinite(input.seconds) || input.seconds < 0)
    throw invalidInput('seconds must be a finite non-negative number', { field: 'seconds' });
  const audioSeconds = Math.ceil(input.seconds);
  assertCount(audioSeconds, 'seconds');
  const perSecond = decimalOf(voice.dollarPerAudioSecond, 'dollarPerAudioSecond');
  return {
    ioType: 'transcription',
    model: voice.model,
    platform: voice.platform,
    audioSeconds,
    dollarPerAudioSecond: toNumber(perSecond),
    dollarPerAudioSecondText: toPlain(perSecond),
    ...amounts(mul(perSecond, fromInt(audioSeconds)), rates),
  };
}

/**
 * Points to hold before the call (seed 003 「残高判定」 uses the API input part). Same rule as
 * the `in` record, so the hold never differs from the real input charge for the same count.
 */
export function estimateInputPoints(tier: ModelTier, rates: Rates, inputTokens: number): number {
  assertTier(tier);
  assertCount(inputTokens, 'inputTokens');
  return tokenRecord('in', tier, rates, inputTokens, tier.dollarPerMillionInputTokens).points;
}

/**
 * Rough token count for budgets (history trimming) and the reserve estimate only — the real
 * usage always comes from the provider's response. Modern tokenizers spend about one token per
 * kana/kanji/hangul character and about four ASCII characters per token; every other non-ASCII
 * code point is counted as a token of its own, which over- rather than under-estimates.
 */
export function estimateTokens(text: string): number {
  if (typeof text !== 'string') throw invalidInput('text must be a string', { field: 'text' });
  let ascii = 0;
  let other = 0;
  for (const ch of text) {
    if ((ch.codePointAt(0) ?? 0) < 0x80) ascii += 1;
    else other += 1;
  }
  return other + Math.ceil(ascii / 4);
}

// ---------------------------------------------------------------------------------------------

function tokenRecord(
  ioType: 'in' | 'out',
  tier: ModelTier,
  rates: Rates,
  tokens: number,
  dollarPerMillion: number,
): TokenUsageRecord {
  const perToken = shift(decimalOf(dollarPerMillion, `dollarPerMillion ${ioType}`), 6);
  return {
    ioType,
    model: tier.model,
    platform: tier.platform,
    tokens,
    dollarPerToken: toNumber(perToken),
    dollarPerTokenText: toPlain(perToken),
    ...amounts(mul(perToken, fromInt(tokens)), rates),
  };
}

function amounts(dollars: Dec, rates: Rates) {
  const yenPerDollar = positiveDecimal(rates?.yenPerDollar, 'yenPerDollar');
  const pointsPerYen = positiveDecimal(rates?.pointsPerYen, 'pointsPerYen');
  const yen = mul(dollars, yenPerDollar);
  const points = Number(ceilInt(mul(yen, pointsPerYen)));
  if (!Number.isSafeInteger(points)) throw invalidInput('usage too large to price');
  return {
    dollars: toNumber(dollars),
    dollarsText: toFixed(dollars, 8),
    yen: toNumber(yen),
    yenText: toFixed(yen, 8),
    points,
    yenPerDollar: rates.yenPerDollar,
    pointsPerYen: rates.pointsPerYen,
  };
}

function assertTier(tier: ModelTier): void {
  if (!tier || typeof tier.model !== 'string' || tier.model === '')
    throw new BusinessError('UNKNOWN_MODEL', 'model tier is missing', { field: 'tier' });
}

function assertCount(value: unknown, field: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw invalidInput(`${field} must be a non-negative safe integer`, { field });
}

// ---------------------------------------------------------------------------------------------
// Exact non-negative decimals: value = coef / 10^scale.

interface Dec {
  coef: bigint;
  scale: number;
}

const DECIMAL_LITERAL = /^(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/;

/** The decimal a number was written as (shortest round-trip form, e.g. 0.15 → 15/100). */
function decimalOf(value: unknown, field: string): Dec {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    throw invalidInput(`${field} must be a finite non-negative number`, { field });
  const m = DECIMAL_LITERAL.exec(String(value));
  if (!m) throw invalidInput(`${field} is not a decimal: ${value}`, { field });
  const [, int = '0', frac = '', exp = '0'] = m;
  const scale = frac.length - Number(exp);
  const coef = BigInt(int + frac);
  return scale >= 0 ? { coef, scale } : { coef: coef * 10n ** BigInt(-scale), scale: 0 };
}

function positiveDecimal(value: unknown, field: string): Dec {
  const d = decimalOf(value, field);
  if (d.coef === 0n) throw invalidInput(`${field} must be positive`, { field });
  return d;
}

function fromInt(n: number): Dec {
  return { coef: BigInt(n), scale: 0 };
}

function mul(a: Dec, b: Dec): Dec {
  return { coef: a.coef * b.coef, scale: a.scale + b.scale };
}

/** Divides by 10^places. */
function shift(a: Dec, places: number): Dec {
  return { coef: a.coef, scale: a.scale + places };
}

function ceilInt(a: Dec): bigint {
  const unit = 10n ** BigInt(a.scale);
  const q = a.coef / unit;
  return a.coef % unit === 0n ? q : q + 1n;
}

function digits(coef: bigint, scale: number): string {
  const s = coef.toString().padStart(scale + 1, '0');
  return scale === 0 ? s : `${s.slice(0, -scale)}.${s.slice(-scale)}`;
}

/** Rounded half-up to `places` decimals, always showing them (e.g. "0.00004500"). */
function toFixed(a: Dec, places: number): string {
  if (a.scale <= places) return digits(a.coef * 10n ** BigInt(places - a.scale), places);
  const unit = 10n ** BigInt(a.scale - places);
  const q = a.coef / unit;
  return digits(2n * (a.coef % unit) >= unit ? q + 1n : q, places);
}

/** Exact, without trailing zeros (e.g. "0.00000015"). */
function toPlain(a: Dec): string {
  return digits(a.coef, a.scale)
    .replace(/(\.\d*?)0+$/, '$1')
    .replace(/\.$/, '');
}

function toNumber(a: Dec): number {
  return Number(toPlain(a));
}
