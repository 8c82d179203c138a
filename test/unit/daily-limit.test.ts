import fc from 'fast-check';
import {
  assertCanChat,
  evaluateLimit,
  formatWithOffset,
  nextResetInstant,
  nextResetTime,
  usageDate,
  type LimitInput,
} from '../../domain/daily-limit';
import { BusinessError } from '../../domain/errors';

const d = (iso: string) => new Date(iso);

function errorOf(fn: () => unknown): BusinessError {
  try {
    fn();
  } catch (err) {
    if (err instanceof BusinessError) return err;
    throw err;
  }
  throw new Error('expected a BusinessError');
}

describe('usage date (calendar day in the configured zone)', () => {
  it('splits the Tokyo day between 23:59:59.999 and 00:00:00.000 JST', () => {
    expect(usageDate(d('2026-11-22T23:59:59.999+09:00'))).toBe('2026-11-22');
    expect(usageDate(d('2026-11-23T00:00:00.000+09:00'))).toBe('2026-11-23');
  });

  it('uses the Tokyo date, not the UTC date', () => {
    // 2026-11-22 16:00 UTC is already the 23rd in Tokyo.
    expect(usageDate(d('2026-11-22T16:00:00Z'))).toBe('2026-11-23');
    expect(usageDate(d('2026-11-22T16:00:00Z'), 'UTC')).toBe('2026-11-22');
  });

  it('works for any IANA zone', () => {
    expect(usageDate(d('2026-11-22T07:59:59Z'), 'America/Los_Angeles')).toBe('2026-11-21');
    expect(usageDate(d('2026-11-22T08:00:00Z'), 'America/Los_Angeles')).toBe('2026-11-22');
  });
});

describe('reset time (seed 004 reset_time)', () => {
  it('is the next local midnight with its offset', () => {
    expect(nextResetTime(d('2026-11-22T12:34:56+09:00'))).toBe('2026-11-23T00:00:00+09:00');
    expect(nextResetTime(d('2026-11-22T23:59:59.999+09:00'))).toBe('2026-11-23T00:00:00+09:00');
    // At midnight itself the new day has begun, so the next reset is a day away.
    expect(nextResetTime(d('2026-11-23T00:00:00+09:00'))).toBe('2026-11-24T00:00:00+09:00');
    expect(nextResetTime(d('2026-12-31T15:00:00+09:00'))).toBe('2027-01-01T00:00:00+09:00');
  });

  it('follows daylight saving in Los Angeles', () => {
    const la = 'America/Los_Angeles';
    // DST starts 2026-03-08 02:00 local; the day of the 8th is 23 hours long.
    expect(nextResetTime(d('2026-03-07T12:00:00-08:00'), la)).toBe('2026-03-08T00:00:00-08:00');
    expect(nextResetTime(d('2026-03-08T12:00:00-07:00'), la)).toBe('2026-03-09T00:00:00-07:00');
    const start = nextResetInstant(d('2026-03-07T12:00:00-08:00'), la);
    expect(nextResetInstant(start, la).getTime() - start.getTime()).toBe(23 * 3600 * 1000);
    // DST ends 2026-11-01 02:00 local.
    expect(nextResetTime(d('2026-10-31T23:30:00-07:00'), la)).toBe('2026-11-01T00:00:00-07:00');
    expect(nextResetTime(d('2026-11-01T23:30:00-08:00'), la)).toBe('2026-11-02T00:00:00-08:00');
  });

  it('starts the day at the first existing instant when DST skips midnight', () => {
    // Chile moves 00:00 → 01:00 on 2026-09-06: that day begins at 01:00 -03:00.
    expect(nextResetTime(d('2026-09-05T12:00:00-04:00'), 'America/Santiago')).toBe(
      '2026-09-06T01:00:00-03:00',
    );
  });

  it('handles non-hour offsets', () => {
    expect(nextResetTime(d('2026-11-22T12:00:00Z'), 'Asia/Kathmandu')).toBe(
      '2026-11-23T00:00:00+05:45',
    );
  });

  it('is always later than now, starts a new usage date, and the instant before does not', () => {
    const zones = ['Asia/Tokyo', 'America/Los_Angeles', 'Europe/London', 'America/Santiago'];
    fc.assert(
      fc.property(
        fc.integer({ min: Date.parse('2020-01-01'), max: Date.parse('2035-01-01') }),
        fc.constantFrom(...zones),
        (ms, zone) => {
          const now = new Date(ms);
          const reset = nextResetInstant(now, zone);
          expect(reset.getTime()).toBeGreaterThan(ms);
          expect(usageDate(reset, zone) > usageDate(now, zone)).toBe(true);
          expect(usageDate(new Date(reset.getTime() - 1), zone)).toBe(usageDate(now, zone));
          expect(new Date(nextResetTime(now, zone)).getTime()).toBe(reset.getTime());
        },
      ),
    );
  });

  it('formats an instant with the zone offset', () => {
    expect(formatWithOffset(d('2026-11-22T03:04:05.006Z'))).toBe('2026-11-22T12:04:05.006+09:00');
  });
});

describe('usage view and chat check (seed 004)', () => {
  const now = d('2026-11-22T10:00:00+09:00');
  const base: LimitInput = { dailyLimit: 10, usedToday: 0, privileged: false, now };
  const resetTime = '2026-11-23T00:00:00+09:00';

  it('reports remaining chats until the limit', () => {
    expect(evaluateLimit({ ...base, usedToday: 3 })).toEqual({
      remainingCount: 7,
      dailyLimit: 10,
      resetTime,
      canUseChat: true,
    });
    expect(evaluateLimit({ ...base, usedToday: 10 })).toMatchObject({
      remainingCount: 0,
      canUseChat: false,
    });
    // Over the limit (a lowered plan) never shows a negative remainder.
    expect(evaluateLimit({ ...base, usedToday: 12 }).remainingCount).toBe(0);
  });

  it('shows unlimited as -1 and lets privileged users through', () => {
    expect(evaluateLimit({ ...base, dailyLimit: -1, usedToday: 999 })).toEqual({
      remainingCount: -1,
      dailyLimit: -1,
      resetTime,
      canUseChat: true,
    });
    expect(evaluateLimit({ ...base, dailyLimit: 0, privileged: true })).toMatchObject({
      remainingCount: -1,
      canUseChat: true,
    });
    expect(assertCanChat({ ...base, usedToday: 10, privileged: true }).canUseChat).toBe(true);
  });

  it('throws USAGE_LIMIT_EXCEEDED (429) with the reset time when the day is used up', () => {
    expect(assertCanChat({ ...base, usedToday: 9 }).remainingCount).toBe(1);
    const err = errorOf(() => assertCanChat({ ...base, usedToday: 10 }));
    expect(err.code).toBe('USAGE_LIMIT_EXCEEDED');
    expect(err.httpStatus).toBe(429);
    expect(err.message).toBe('本日の利用回数上限に達しました。明日の00:00にリセットされます。');
    expect(err.details).toMatchObject({ remaining: 0, resetTime, dailyLimit: 10 });
  });

  it('throws PLAN_RESTRICTION (403) when the plan allows no chat', () => {
    const err = errorOf(() => assertCanChat({ ...base, dailyLimit: 0 }));
    expect(err.code).toBe('PLAN_RESTRICTION');
    expect(err.httpStatus).toBe(403);
  });

  it('refuses bad input with INVALID_INPUT', () => {
    const bads: Partial<LimitInput>[] = [
      { dailyLimit: -2 },
      { dailyLimit: 1.5 },
      { dailyLimit: NaN },
      { usedToday: -1 },
      { usedToday: Infinity },
      { now: new Date(NaN) },
      { timeZone: 'Mars/Olympus_Mons' },
      { privileged: 'yes' as unknown as boolean },
    ];
    for (const bad of bads)
      expect(errorOf(() => evaluateLimit({ ...base, ...bad })).code).toBe('INVALID_INPUT');
    expect(errorOf(() => usageDate(new Date(NaN))).code).toBe('INVALID_INPUT');
    expect(errorOf(() => nextResetTime(now, 'Not/AZone')).code).toBe('INVALID_INPUT');
  });
});
