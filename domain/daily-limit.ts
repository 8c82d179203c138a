import { BusinessError, invalidInput } from './errors';

/**
 * Daily chat limit (seed 004). Days are calendar days in a configured IANA time zone, resolved
 * with Intl so daylight-saving zones work too; a fixed +09:00 would only be right for Tokyo.
 *
 * Boundary: the day of an instant is the local calendar date at that instant, so 23:59:59.999
 * belongs to the old day and 00:00:00.000 to the new one; the reset time is that first
 * instant of the next local day.
 */

export const DEFAULT_TIME_ZONE = 'Asia/Tokyo';

/** Seed 004 `AIChatUsageResponse`, camel-cased. */
export interface UsageView {
  /** -1 = unlimited. */
  remainingCount: number;
  /** -1 = unlimited, 0 = the plan may not chat. */
  dailyLimit: number;
  /** ISO 8601 with the zone's offset, e.g. `2026-11-23T00:00:00+09:00`. */
  resetTime: string;
  canUseChat: boolean;
}

export interface LimitInput {
  /** The plan's limit: -1 unlimited, 0 no chat, n > 0 chats per day. */
  dailyLimit: number;
  /** Chats already counted today (turns in flight included, if the caller counts them). */
  usedToday: number;
  /** Seed 003 `privileged-users`: no limit at all. */
  privileged: boolean;
  now: Date;
  timeZone?: string;
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone,
        calendar: 'gregory',
        numberingSystem: 'latn',
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      throw invalidInput(`unknown time zone: ${timeZone}`, { field: 'timeZone' });
    }
    formatters.set(timeZone, f);
  }
  return f;
}

function assertInstant(now: unknown): asserts now is Date {
  if (!(now instanceof Date) || Number.isNaN(now.getTime()))
    throw invalidInput('now must be a valid Date', { field: 'now' });
}

function wallClock(ms: number, timeZone: string): WallClock {
  const parts = formatterFor(timeZone).formatToParts(ms);
  const get = (type: Intl.DateTimeFormatPartTypes): number => {
    const n = Number(parts.find((p) => p.type === type)?.value);
    if (!Number.isInteger(n))
      throw new BusinessError('SYSTEM_ERROR', `cannot read the ${type} in ${timeZone}`);
    return n;
  };
  return {
    year: get('year'),
    month: get('month'),
    day: get('day'),
    // Some engines print midnight as 24 even with h23.
    hour: get('hour') % 24,
    minute: get('minute'),
    second: get('second'),
  };
}

/** The zone's UTC offset at `ms`, in ms (whole seconds; historical LMT offsets have them). */
function offsetAt(ms: number, timeZone: string): number {
  const w = wallClock(ms, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

function dateKey(w: Pick<WallClock, 'year' | 'month' | 'day'>): string {
  const y = String(w.year).padStart(4, '0');
  return `${y}-${String(w.month).padStart(2, '0')}-${String(w.day).padStart(2, '0')}`;
}

/** 'YYYY-MM-DD' of the calendar day containing `now` in `timeZone` (the `usage_date` key). */
export function usageDate(now: Date, timeZone: string = DEFAULT_TIME_ZONE): string {
  assertInstant(now);
  return dateKey(wallClock(now.getTime(), timeZone));
}

/** The first instant of the local day after the one containing `now`. */
export function nextResetInstant(now: Date, timeZone: string = DEFAULT_TIME_ZONE): Date {
  assertInstant(now);
  const t = now.getTime();
  const w = wallClock(t, timeZone);
  const next = new Date(Date.UTC(w.year, w.month - 1, w.day + 1));
  const nextKey = dateKey({
    year: next.getUTCFullYear(),
    month: next.getUTCMonth() + 1,
    day: next.getUTCDate(),
  });
  const startsNextDay = (ms: number) => dateKey(wallClock(ms, timeZone)) >= nextKey;

  // Usual case: local midnight minus the offset in force then (two passes settle DST changes).
  const midnight = next.getTime();
  let guess = midnight - offsetAt(midnight, timeZone);
  guess = midnight - offsetAt(guess, timeZone);
  if (guess > t && startsNextDay(guess) && !startsNextDay(guess - 1)) return new Date(guess);

  // Midnight skipped or repeated by a DST change: search for the first instant of the next day.
  // No zone shifts by a day or more, so it lies within 48 hours.
  let lo = t; // still "today" (or earlier, after a backward jump)
  let hi = t + 48 * 3600 * 1000;
  if (!startsNextDay(hi))
    throw new BusinessError('SYSTEM_ERROR', `cannot find the next day in ${timeZone}`);
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (startsNextDay(mid)) hi = mid;
    else lo = mid;
  }
  return new Date(hi);
}

/** ISO 8601 with the local offset, e.g. `2026-11-23T00:00:00+09:00` (seed 004 `reset_time`). */
export function nextResetTime(now: Date, timeZone: string = DEFAULT_TIME_ZONE): string {
  return formatWithOffset(nextResetInstant(now, timeZone), timeZone);
}

/** `instant` written in the zone's local time with its offset; UTC `Z` if the offset has seconds. */
export function formatWithOffset(instant: Date, timeZone: string = DEFAULT_TIME_ZONE): string {
  assertInstant(instant);
  const ms = instant.getTime();
  const offset = offsetAt(ms, timeZone);
  if (offset % 60000 !== 0) return instant.toISOString();
  const w = wallClock(ms, timeZone);
  const pad = (n: number) => String(n).padStart(2, '0');
  const frac = ms % 1000 === 0 ? '' : `.${String(((ms % 1000) + 1000) % 1000).padStart(3, '0')}`;
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset) / 60000;
  return (
    `${dateKey(w)}T${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}${frac}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

function assertLimitInput(input: LimitInput): void {
  if (!Number.isSafeInteger(input.dailyLimit) || input.dailyLimit < -1)
    throw invalidInput('dailyLimit must be an integer ≥ -1', { field: 'dailyLimit' });
  if (!Number.isSafeInteger(input.usedToday) || input.usedToday < 0)
    throw invalidInput('usedToday must be a non-negative integer', { field: 'usedToday' });
  if (typeof input.privileged !== 'boolean')
    throw invalidInput('privileged must be a boolean', { field: 'privileged' });
}

/**
 * Seed 004 usage view. Privileged users are shown as unlimited (-1/-1), since that is what
 * applies to them whatever their plan says.
 */
export function evaluateLimit(input: LimitInput): UsageView {
  assertLimitInput(input);
  const resetTime = nextResetTime(input.now, input.timeZone ?? DEFAULT_TIME_ZONE);
  if (input.privileged) return { remainingCount: -1, dailyLimit: -1, resetTime, canUseChat: true };
  const { dailyLimit, usedToday } = input;
  if (dailyLimit === -1) return { remainingCount: -1, dailyLimit, resetTime, canUseChat: true };
  const remainingCount = Math.max(0, dailyLimit - usedToday);
  return { remainingCount, dailyLimit, resetTime, canUseChat: remainingCount > 0 };
}

/**
 * Throws the seed 004 error that stops a chat: PLAN_RESTRICTION when the plan allows none at
 * all (upgrading helps, waiting does not), USAGE_LIMIT_EXCEEDED when today's allowance is used
 * up (with `resetTime` so the reply can say when). Returns the view otherwise.
 */
export function assertCanChat(input: LimitInput): UsageView {
  const view = evaluateLimit(input);
  if (view.canUseChat) return view;
  if (view.dailyLimit === 0)
    throw new BusinessError('PLAN_RESTRICTION', undefined, {
      dailyLimit: 0,
      remaining: 0,
      resetTime: view.resetTime,
    });
  throw new BusinessError('USAGE_LIMIT_EXCEEDED', undefined, {
    dailyLimit: view.dailyLimit,
    remaining: 0,
    resetTime: view.resetTime,
  });
}
