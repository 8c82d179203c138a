import { BusinessError, invalidInput } from './errors';

/**
 * Points ledger rules (seed 003 「ポイント更新ロジック」), as pure functions.
 *
 * The database layer loads a user's lots inside a transaction (locked), asks one of the
 * `plan*` functions what to do, writes every change of the plan and one log row per change
 * (`logRowsFor`), and commits. Nothing here reads a clock or touches storage, so the same
 * rules run in tests, in activities and in the invariant checker.
 *
 * Boundary rules:
 * - A lot is usable while `expiresAt > now`; a lot expiring exactly at `now` is expired
 *   (`expiresAt` is the first instant the points are gone). Seed 003 「有効残高取得」 writes
 *   「現在日時＞残高期限」, which read literally would select the expired lots; we take the
 *   intent, "not yet past its expiry".
 * - `expiresAt === null` never expires. Negative lots (debts) always count and always have a
 *   null expiry, so a debt can never lapse and be forgiven by an expiry purge.
 * - Expired positive lots are left alone: they are neither charged nor offset.
 * - Zero is a no-op for charges and grants (empty plan): catalog values such as monthly points
 *   may legitimately be 0 and a settle of a zero-cost call has nothing to deduct.
 */

export interface Lot {
  id: string;
  /** Safe integer; negative = debt. A lot of 0 is never stored (it is deleted instead). */
  amount: number;
  expiresAt: Date | null;
  createdAt: Date;
}

/**
 * One step of a plan; each becomes exactly one ledger log row. `expiresAt` is the lot's expiry
 * after the change (a lot that goes negative loses its expiry, so write it on update too).
 */
export type LotChange =
  | { kind: 'update'; lotId: string; delta: number; amountAfter: number; expiresAt: Date | null }
  | { kind: 'delete'; lotId: string; delta: number; expiresAt: Date | null }
  | { kind: 'create'; tempId: string; amount: number; expiresAt: Date | null };

export type LedgerPlan = readonly LotChange[];

/** Seed 003 `ptlog`, reduced to what replays the lots (the writer adds reason, ref, time). */
export interface LedgerLogRow {
  lotId: string;
  delta: number;
  lotAmountAfter: number;
  lotExpiresAt: Date | null;
}

export interface ReplayedLot {
  id: string;
  amount: number;
  expiresAt: Date | null;
}

export type ReserveCheck =
  | { ok: true; required: number; available: number }
  | { ok: false; required: number; available: number; error: BusinessError };

// ---------------------------------------------------------------------------------------------
// Validation

function assertDate(value: unknown, field: string): asserts value is Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime()))
    throw invalidInput(`${field} must be a valid Date`, { field });
}

function assertNonNegativeInt(value: unknown, field: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw invalidInput(`${field} must be a non-negative safe integer`, { field });
}

function assertLots(lots: readonly Lot[]): void {
  if (!Array.isArray(lots)) throw invalidInput('lots must be an array', { field: 'lots' });
  const seen = new Set<string>();
  for (const lot of lots) {
    if (!lot || typeof lot.id !== 'string' || lot.id === '')
      throw invalidInput('lot id must be a non-empty string', { field: 'lots' });
    if (seen.has(lot.id)) throw invalidInput(`duplicate lot ${lot.id}`, { field: 'lots' });
    seen.add(lot.id);
    if (!Number.isSafeInteger(lot.amount))
      throw invalidInput(`lot ${lot.id}: amount must be a safe integer`, { field: 'lots' });
    if (lot.expiresAt !== null) assertDate(lot.expiresAt, `lot ${lot.id} expiresAt`);
    assertDate(lot.createdAt, `lot ${lot.id} createdAt`);
  }
}

/** Sums stay exact only below 2^53; a ledger anywhere near that is corrupt, not rich. */
function checkedSum(values: Iterable<number>, field: string): number {
  let sum = 0;
  for (const v of values) sum += v;
  if (!Number.isSafeInteger(sum)) throw invalidInput(`${field} overflows`, { field });
  return sum;
}

// ---------------------------------------------------------------------------------------------
// Queries

export function isExpired(lot: Lot, now: Date): boolean {
  return lot.expiresAt !== null && lot.expiresAt.getTime() <= now.getTime();
}

/** A positive lot that can still be spent at `now`. */
export function isUsable(lot: Lot, now: Date): boolean {
  return lot.amount > 0 && !isExpired(lot, now);
}

/**
 * Spending order of seed 003 「有効残高レコードから古い順に処理」: the seed's sort key is the
 * expiry, so "oldest" means soonest-expiring. Never-expiring lots go last; ties fall back to
 * creation time and then id so the order is total and deterministic.
 */
export function compareSpendOrder(a: Lot, b: Lot): number {
  const ea = a.expiresAt === null ? Infinity : a.expiresAt.getTime();
  const eb = b.expiresAt === null ? Infinity : b.expiresAt.getTime();
  if (ea !== eb) return ea < eb ? -1 : 1;
  return compareAge(a, b);
}

/** Oldest first by creation, then id: the order in which grants offset debts. */
export function compareAge(a: Lot, b: Lot): number {
  const ca = a.createdAt.getTime();
  const cb = b.createdAt.getTime();
  if (ca !== cb) return ca < cb ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Usable positive lots in the order a charge consumes them. */
export function spendableLots(lots: readonly Lot[], now: Date): Lot[] {
  return lots.filter((l) => isUsable(l, now)).sort(compareSpendOrder);
}

/**
 * Seed 003 「有効残高取得」: usable positive lots + every negative lot − points held by
 * in-flight turns. May be negative.
 */
export function effectiveBalance(lots: readonly Lot[], now: Date, heldPoints: number): number {
  assertLots(lots);
  assertDate(now, 'now');
  assertNonNegativeInt(heldPoints, 'heldPoints');
  const counted = lots.filter((l) => l.amount < 0 || isUsable(l, now)).map((l) => l.amount);
  return checkedSum([...counted, -heldPoints], 'balance');
}

/** Sum of every lot, expired ones included: what the ledger log must account for. */
export function totalAmount(lots: readonly Lot[]): number {
  return checkedSum(
    lots.map((l) => l.amount),
    'total',
  );
}

/**
 * Seed 003 「残高判定」 (before the API call): the turn may proceed when the effective balance,
 * net of other turns' holds, covers the estimate. Equal is enough; a user in debt is refused
 * even for a zero estimate, since the debt must be paid off first.
 */
export function checkReserve(
  lots: readonly Lot[],
  now: Date,
  otherHolds: number,
  estimate: number,
): ReserveCheck {
  assertNonNegativeInt(estimate, 'estimate');
  const available = effectiveBalance(lots, now, otherHolds);
  if (available >= estimate) return { ok: true, required: estimate, available };
  return {
    ok: false,
    required: estimate,
    available,
    error: new BusinessError('INSUFFICIENT_POINTS', undefined, { required: estimate, available }),
  };
}

// ---------------------------------------------------------------------------------------------
// Plans

/**
 * Seed 003 「ポイント使用（事後更新）」 (after the API call).
 *
 * - No usable lot and no debt → a new negative lot (「マイナスの残高レコードを登録」).
 * - No usable lot but an existing debt → that debt grows (the newest one, should there be
 *   several). The seed is silent here; growing the debt keeps "at most one negative lot",
 *   which keeps grants' offsetting and the log simple.
 * - Otherwise usable lots are consumed in spend order: 残高 > 残 → update and stop;
 *   残高 = 残 → delete and stop; 残高 < 残 → delete, except the last usable lot
 *   (「最新の残高レコード(=ループの最後)」) which takes the rest and goes negative, losing its
 *   expiry. Should a debt already exist next to usable lots (the seed's 「一応」 case, impossible
 *   through these functions), the overflow goes onto that debt instead of making a second one.
 */
export function planCharge(lots: readonly Lot[], now: Date, points: number): LotChange[] {
  assertLots(lots);
  assertDate(now, 'now');
  assertNonNegativeInt(points, 'points');
  if (points === 0) return [];

  const plan: LotChange[] = [];
  const usable = spendableLots(lots, now);
  const debts = lots.filter((l) => l.amount < 0).sort(compareAge);
  const newestDebt = debts[debts.length - 1];
  let rest = points;

  for (const [i, lot] of usable.entries()) {
    const isLast = i === usable.length - 1;
    if (lot.amount > rest) {
      plan.push(update(lot, -rest, lot.expiresAt));
      rest = 0;
    } else if (lot.amount === rest || !isLast || newestDebt) {
      plan.push({ kind: 'delete', lotId: lot.id, delta: -lot.amount, expiresAt: lot.expiresAt });
      rest -= lot.amount;
    } else {
      plan.push(update(lot, -rest, null));
      rest = 0;
    }
    if (rest === 0) break;
  }

  if (rest > 0) {
    if (newestDebt) plan.push(update(newestDebt, -rest, null));
    else plan.push({ kind: 'create', tempId: tempId(1), amount: -rest, expiresAt: null });
  }
  return plan;
}

/**
 * Seed 003 「ポイント付与」: debts are offset oldest first (a debt reaching 0 is deleted,
 * a partly offset one updated), and whatever is left becomes a new lot expiring at
 * `expiresAt`. Each step is a plan entry so a log row is written for deletions too
 * (「レコード削除分についてもログ登録」).
 */
export function planGrant(
  lots: readonly Lot[],
  points: number,
  expiresAt: Date | null,
): LotChange[] {
  assertLots(lots);
  assertNonNegativeInt(points, 'points');
  if (expiresAt !== null) assertDate(expiresAt, 'expiresAt');
  if (points === 0) return [];

  const plan: LotChange[] = [];
  let rest = points;
  for (const debt of lots.filter((l) => l.amount < 0).sort(compareAge)) {
    if (rest === 0) break;
    const offset = Math.min(rest, -debt.amount);
    rest -= offset;
    if (debt.amount + offset === 0)
      plan.push({ kind: 'delete', lotId: debt.id, delta: offset, expiresAt: null });
    else plan.push(update(debt, offset, null));
  }
  if (rest > 0)
    plan.push({
      kind: 'create',
      tempId: tempId(1),
      amount: rest,
      expiresAt: expiresAt && new Date(expiresAt.getTime()),
    });
  return plan;
}

/**
 * Admin adjustment. A positive delta is a grant (it pays debts first, then adds a lot with the
 * given expiry, `null` = never expires); a negative delta is a charge (spend order, may create
 * debt). Reusing the two rules keeps every invariant without a third code path. Zero is
 * refused: an adjustment of nothing is a mistaken request, not a no-op.
 */
export function planAdjust(
  lots: readonly Lot[],
  now: Date,
  delta: number,
  expiresAt: Date | null = null,
): LotChange[] {
  if (typeof delta !== 'number' || !Number.isSafeInteger(delta) || delta === 0)
    throw invalidInput('delta must be a non-zero safe integer', { field: 'delta' });
  assertDate(now, 'now');
  return delta > 0 ? planGrant(lots, delta, expiresAt) : planCharge(lots, now, -delta);
}

/** Net change of the user's total points (sum over all lots) if the plan is applied. */
export function planDelta(plan: LedgerPlan): number {
  return checkedSum(
    plan.map((c) => (c.kind === 'create' ? c.amount : c.delta)),
    'plan delta',
  );
}

function update(lot: Lot, delta: number, expiresAt: Date | null): LotChange {
  return {
    kind: 'update',
    lotId: lot.id,
    delta,
    amountAfter: lot.amount + delta,
    expiresAt: expiresAt && new Date(expiresAt.getTime()),
  };
}

function tempId(n: number): string {
  return `new-${n}`;
}

// ---------------------------------------------------------------------------------------------
// Applying plans and replaying the log

function planBroken(message: string): BusinessError {
  // A plan that does not fit the lots means a bug or a concurrent writer: never guess.
  return new BusinessError('SYSTEM_ERROR', `ledger plan does not apply: ${message}`);
}

/**
 * The lots after `plan`, as the database will hold them. Created lots get `idFor(tempId)` and
 * `createdAt = now`. Inputs are not mutated; every returned lot and date is a fresh object.
 */
export function applyPlan(
  lots: readonly Lot[],
  plan: LedgerPlan,
  now: Date,
  idFor: (tempId: string) => string = (t) => t,
): Lot[] {
  assertLots(lots);
  assertDate(now, 'now');
  const byId = new Map<string, Lot>(lots.map((l) => [l.id, copyLot(l)]));
  for (const change of plan) {
    if (change.kind === 'create') {
      const id = idFor(change.tempId);
      if (byId.has(id)) throw planBroken(`lot ${id} already exists`);
      if (!Number.isSafeInteger(change.amount) || change.amount === 0)
        throw planBroken(`create ${id} with amount ${change.amount}`);
      byId.set(id, {
        id,
        amount: change.amount,
        expiresAt: copyDate(change.expiresAt),
        createdAt: new Date(now.getTime()),
      });
      continue;
    }
    const lot = byId.get(change.lotId);
    if (!lot) throw planBroken(`lot ${change.lotId} not found`);
    const after = lot.amount + change.delta;
    if (change.kind === 'delete') {
      if (after !== 0) throw planBroken(`delete ${lot.id} leaves ${after}`);
      byId.delete(lot.id);
    } else {
      if (after !== change.amountAfter || after === 0)
        throw planBroken(
          `update ${lot.id}: ${lot.amount} + ${change.delta} ≠ ${change.amountAfter}`,
        );
      lot.amount = after;
      lot.expiresAt = copyDate(change.expiresAt);
    }
  }
  return [...byId.values()];
}

/** One log row per plan entry, in plan order (the order replay needs). */
export function logRowsFor(
  plan: LedgerPlan,
  idFor: (tempId: string) => string = (t) => t,
): LedgerLogRow[] {
  return plan.map((c) => {
    switch (c.kind) {
      case 'create':
        return {
          lotId: idFor(c.tempId),
          delta: c.amount,
          lotAmountAfter: c.amount,
          lotExpiresAt: copyDate(c.expiresAt),
        };
      case 'update':
        return {
          lotId: c.lotId,
          delta: c.delta,
          lotAmountAfter: c.amountAfter,
          lotExpiresAt: copyDate(c.expiresAt),
        };
      case 'delete':
        // The seed's ptlog key is 「ポイント有効期限#作成日時」, so keep the expiry even here.
        return {
          lotId: c.lotId,
          delta: c.delta,
          lotAmountAfter: 0,
          lotExpiresAt: copyDate(c.expiresAt),
        };
    }
  });
}

/**
 * Rebuilds the lots from the log alone (rows in write order). Each row must continue its lot's
 * previous amount (`before + delta = after`, a lot's first row starting from 0); otherwise the
 * log itself is inconsistent and this throws SYSTEM_ERROR naming the row.
 */
export function replay(logRows: readonly LedgerLogRow[]): ReplayedLot[] {
  const lots = new Map<string, ReplayedLot>();
  logRows.forEach((row, i) => {
    const before = lots.get(row.lotId)?.amount ?? 0;
    if (
      !Number.isSafeInteger(row.delta) ||
      !Number.isSafeInteger(row.lotAmountAfter) ||
      before + row.delta !== row.lotAmountAfter
    )
      throw new BusinessError(
        'SYSTEM_ERROR',
        `ledger log row ${i} (lot ${row.lotId}): ${before} + ${row.delta} ≠ ${row.lotAmountAfter}`,
      );
    if (row.lotAmountAfter === 0) lots.delete(row.lotId);
    else
      lots.set(row.lotId, {
        id: row.lotId,
        amount: row.lotAmountAfter,
        expiresAt: copyDate(row.lotExpiresAt),
      });
  });
  return [...lots.values()];
}

/**
 * The invariant check: differences between the stored lots and the replayed log, as readable
 * lines (empty = consistent). Compares id, amount and expiry; creation times are not logged.
 */
export function replayMismatches(lots: readonly Lot[], logRows: readonly LedgerLogRow[]): string[] {
  const replayed = new Map(replay(logRows).map((l) => [l.id, l]));
  const problems: string[] = [];
  for (const lot of lots) {
    const r = replayed.get(lot.id);
    if (!r) {
      problems.push(`lot ${lot.id} (${lot.amount}) has no log`);
      continue;
    }
    replayed.delete(lot.id);
    if (r.amount !== lot.amount)
      problems.push(`lot ${lot.id}: stored ${lot.amount}, log ${r.amount}`);
    if (time(r.expiresAt) !== time(lot.expiresAt))
      problems.push(`lot ${lot.id}: stored expiry ${iso(lot.expiresAt)}, log ${iso(r.expiresAt)}`);
  }
  for (const r of replayed.values()) problems.push(`lot ${r.id} (${r.amount}) is in the log only`);
  return problems;
}

function copyLot(l: Lot): Lot {
  return {
    id: l.id,
    amount: l.amount,
    expiresAt: copyDate(l.expiresAt),
    createdAt: new Date(l.createdAt.getTime()),
  };
}

function copyDate(d: Date | null): Date | null {
  return d === null ? null : new Date(d.getTime());
}

function time(d: Date | null): number | null {
  return d === null ? null : d.getTime();
}

function iso(d: Date | null): string {
  return d === null ? 'never' : d.toISOString();
}
