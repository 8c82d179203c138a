/**
 * Time as a parameter. Domain rules never read the system clock, so they are deterministic
 * (Temporal workflows replay them) and testable at any instant; the caller decides what "now"
 * is — `workflow`'s deterministic Date in workflows, the database's transaction time in ledger
 * operations.
 */
export interface Clock {
  now(): Date;
}

/** A clock stuck at one instant (tests, replays). */
export function fixedClock(at: Date | string | number): Clock {
  const ms = new Date(at).getTime();
  if (Number.isNaN(ms)) throw new RangeError(`invalid instant: ${String(at)}`);
  return { now: () => new Date(ms) };
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * `days` × 24 h after `from`: point packs expire a fixed duration after the purchase, not at a
 * local midnight, so a DST change does not shorten or lengthen them.
 */
export function addDays(from: Date, days: number): Date {
  return new Date(from.getTime() + days * DAY_MS);
}
