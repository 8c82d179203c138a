import fc from 'fast-check';
import { loadCatalog, type ModelTier } from '../../config/catalog';
import { BusinessError } from '../../domain/errors';
import {
  estimateInputPoints,
  estimateTokens,
  priceUsage,
  type Rates,
  type SearchUsageRecord,
  type TokenUsageRecord,
} from '../../domain/pricing';

const catalog = loadCatalog();
const tier = (id: string): ModelTier => {
  const t = catalog.modelTiers[id];
  if (!t) throw new Error(`catalog has no tier ${id}`);
  return t;
};
const rates: Rates = catalog.rates; // 150 ¥/$, 1 pt/¥

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof BusinessError) return err.code;
    throw err;
  }
  throw new Error('expected a BusinessError');
}

describe('usage records (seed 003 使用量)', () => {
  it('prices one million tokens on each tier from the catalog', () => {
    // $ per million × 150 ¥/$ × 1 pt/¥
    const cases: [string, number, number][] = [
      ['small', 15, 30],
      ['mid', 37.5, 75],
      ['frontier', 22.5, 90],
      ['search', 375, 1500],
    ];
    for (const [id, inYen, outYen] of cases) {
      const { records, points } = priceUsage({
        tier: tier(id),
        rates,
        inputTokens: 1_000_000,
        outputTokens: 1_000_000,
      });
      expect(records.map((r) => [r.ioType, r.yen, r.points])).toEqual([
        ['in', inYen, Math.ceil(inYen)],
        ['out', outYen, Math.ceil(outYen)],
      ]);
      expect(points).toBe(Math.ceil(inYen) + Math.ceil(outYen));
    }
  });

  it('fills every seed field: model, platform, tokens, dollars, yen, points and the rates used', () => {
    const { records } = priceUsage({
      tier: tier('frontier'),
      rates,
      inputTokens: 1234,
      outputTokens: 0,
    });
    const [input, output] = records as [TokenUsageRecord, TokenUsageRecord];
    expect(input).toEqual({
      ioType: 'in',
      model: 'gpt-4o-mini',
      platform: 'openai',
      tokens: 1234,
      dollarPerToken: 0.00000015,
      dollarPerTokenText: '0.00000015',
      dollars: 0.0001851,
      dollarsText: '0.00018510',
      yen: 0.027765,
      yenText: '0.02776500',
      points: 1,
      yenPerDollar: 150,
      pointsPerYen: 1,
    });
    expect(output).toMatchObject({ ioType: 'out', tokens: 0, dollars: 0, yen: 0, points: 0 });
    expect(output.dollarsText).toBe('0.00000000');
  });

  it('adds a search record only when the model searched (seed: at most 3 records)', () => {
    const searched = priceUsage({
      tier: tier('search'),
      rates,
      inputTokens: 100,
      outputTokens: 100,
      searchCount: 3,
    });
    expect(searched.records.map((r) => r.ioType)).toEqual(['in', 'out', 'search']);
    const search = searched.records[2] as SearchUsageRecord;
    // 3 × $0.035 = $0.105 → ¥15.75 → 16 points
    expect(search).toMatchObject({
      searchCount: 3,
      dollarPerSearch: 0.035,
      dollarPerSearchText: '0.035',
      dollars: 0.105,
      dollarsText: '0.10500000',
      yen: 15.75,
      points: 16,
    });

    const none = priceUsage({ tier: tier('search'), rates, inputTokens: 1, outputTokens: 1 });
    expect(none.records.map((r) => r.ioType)).toEqual(['in', 'out']);
  });

  it('refuses searches on a tier without a search price (UNKNOWN_MODEL), never prices them at 0', () => {
    const call = () =>
      priceUsage({ tier: tier('small'), rates, inputTokens: 1, outputTokens: 1, searchCount: 1 });
    expect(codeOf(call)).toBe('UNKNOWN_MODEL');
  });
});

describe('rounding: ceil(yen × pointsPerYen), exactly', () => {
  it('charges zero for zero and at least one point for any usage', () => {
    const zero = priceUsage({ tier: tier('small'), rates, inputTokens: 0, outputTokens: 0 });
    expect(zero.points).toBe(0);
    const one = priceUsage({ tier: tier('small'), rates, inputTokens: 1, outputTokens: 1 });
    expect(one.records.map((r) => r.points)).toEqual([1, 1]);
  });

  it('does not round an exact integer up because of binary floating error', () => {
    // 1.4M tokens × $0.1/M × 150 = exactly ¥21, but doubles say 21.000000000000004.
    expect(1_400_000 * (0.1 / 1e6) * 150).toBeGreaterThan(21);
    expect(estimateInputPoints(tier('small'), rates, 1_400_000)).toBe(21);
    // 56k tokens × $2.5/M × 150 = ¥21 as well.
    expect(56_000 * (2.5 / 1e6) * 150).toBeGreaterThan(21);
    expect(estimateInputPoints(tier('search'), rates, 56_000)).toBe(21);
    // A fractional points-per-yen rate stays exact too: 1.5M tokens → ¥22.5 × 1.2 = 27.
    expect(1_500_000 * (0.1 / 1e6) * 150 * 1.2).toBeGreaterThan(27);
    const rates12 = { yenPerDollar: 150, pointsPerYen: 1.2 };
    expect(estimateInputPoints(tier('small'), rates12, 1_500_000)).toBe(27);
  });

  it('rounds up the smallest excess over an integer', () => {
    // 1,400,001 tokens → ¥21.000015 → 22
    expect(estimateInputPoints(tier('small'), rates, 1_400_001)).toBe(22);
  });

  it('rounds the Decimal(18,8) text half up but keeps exact rates', () => {
    const cheap: ModelTier = {
      model: 'cheap',
      platform: 'test',
      dollarPerMillionInputTokens: 0.075,
      dollarPerMillionOutputTokens: 0.045,
    };
    const { records } = priceUsage({ tier: cheap, rates, inputTokens: 1, outputTokens: 1 });
    const [input, output] = records as [TokenUsageRecord, TokenUsageRecord];
    expect(input.dollarPerTokenText).toBe('0.000000075');
    expect(input.dollarsText).toBe('0.00000008'); // 7.5e-8 → half up
    expect(output.dollarsText).toBe('0.00000005'); // 4.5e-8 → half up
    expect(input.yenText).toBe('0.00001125');
  });

  it('estimateInputPoints equals the in record of the real charge', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('small', 'mid', 'frontier', 'search'),
        fc.nat(5_000_000),
        (id, tokens) => {
          const { records } = priceUsage({
            tier: tier(id),
            rates,
            inputTokens: tokens,
            outputTokens: 0,
          });
          expect(estimateInputPoints(tier(id), rates, tokens)).toBe(records[0]?.points);
        },
      ),
    );
  });

  // Independent reference: catalog prices are whole milli-dollars per million, so points =
  // ceil(tokens × milli$ × yenNum × ptNum / (10^9 × yenDen × ptDen)) in BigInt.
  it('matches an integer-only reference and is monotonic in tokens', () => {
    const rateCases: { rates: Rates; num: bigint; den: bigint }[] = [
      { rates: { yenPerDollar: 150, pointsPerYen: 1 }, num: 150n, den: 1n },
      { rates: { yenPerDollar: 150, pointsPerYen: 1.2 }, num: 1800n, den: 10n },
      { rates: { yenPerDollar: 145.5, pointsPerYen: 0.5 }, num: 7275n, den: 100n },
    ];
    const reference = (tokens: number, milli: number, num: bigint, den: bigint) => {
      const n = BigInt(tokens) * BigInt(milli) * num;
      const d = 1_000_000_000n * den;
      return Number(n / d + (n % d === 0n ? 0n : 1n));
    };
    fc.assert(
      fc.property(
        fc.constantFrom('small', 'mid', 'frontier', 'search'),
        fc.constantFrom(...rateCases),
        fc.nat(50_000_000),
        fc.nat(50_000_000),
        fc.nat(1000),
        (id, rc, inTokens, outTokens, extra) => {
          const t = tier(id);
          const priced = priceUsage({
            tier: t,
            rates: rc.rates,
            inputTokens: inTokens,
            outputTokens: outTokens,
          });
          const inRef = reference(
            inTokens,
            Math.round(t.dollarPerMillionInputTokens * 1000),
            rc.num,
            rc.den,
          );
          const outRef = reference(
            outTokens,
            Math.round(t.dollarPerMillionOutputTokens * 1000),
            rc.num,
            rc.den,
          );
          expect(priced.records.map((r) => r.points)).toEqual([inRef, outRef]);
          expect(Number.isInteger(priced.points)).toBe(true);
          expect(estimateInputPoints(t, rc.rates, inTokens + extra)).toBeGreaterThanOrEqual(
            priced.records[0]?.points ?? Infinity,
          );
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('estimateTokens', () => {
  it('counts CJK characters one each and ASCII about four to a token', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens('hello world')).toBe(3);
    expect(estimateTokens('こんにちは')).toBe(5);
    expect(estimateTokens('今日はgood day')).toBe(3 + 2);
    expect(estimateTokens('🍣')).toBe(1); // one code point, not two UTF-16 units
  });

  it('never shrinks when text is appended', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        expect(estimateTokens(a + b)).toBeGreaterThanOrEqual(estimateTokens(a));
      }),
    );
  });
});

describe('bad input', () => {
  it('refuses bad token and search counts with INVALID_INPUT', () => {
    for (const bad of [NaN, Infinity, -1, 1.5, 2 ** 53]) {
      expect(
        codeOf(() => priceUsage({ tier: tier('small'), rates, inputTokens: bad, outputTokens: 0 })),
      ).toBe('INVALID_INPUT');
      expect(
        codeOf(() => priceUsage({ tier: tier('small'), rates, inputTokens: 0, outputTokens: bad })),
      ).toBe('INVALID_INPUT');
      expect(
        codeOf(() =>
          priceUsage({
            tier: tier('search'),
            rates,
            inputTokens: 0,
            outputTokens: 0,
            searchCount: bad,
          }),
        ),
      ).toBe('INVALID_INPUT');
    }
  });

  it('refuses zero, negative or non-finite rates', () => {
    for (const bad of [0, -150, NaN, Infinity])
      expect(
        codeOf(() =>
          estimateInputPoints(tier('small'), { yenPerDollar: bad, pointsPerYen: 1 }, 10),
        ),
      ).toBe('INVALID_INPUT');
  });

  it('refuses a missing tier with UNKNOWN_MODEL and a non-string text with INVALID_INPUT', () => {
    expect(codeOf(() => estimateInputPoints(undefined as unknown as ModelTier, rates, 1))).toBe(
      'UNKNOWN_MODEL',
    );
    expect(codeOf(() => estimateTokens(42 as unknown as string))).toBe('INVALID_INPUT');
  });
});
