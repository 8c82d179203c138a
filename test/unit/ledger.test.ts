import fc from 'fast-check';
import { BusinessError } from '../../domain/errors';
import {
  applyPlan,
  checkReserve,
  effectiveBalance,
  logRowsFor,
  planAdjust,
  planCharge,
  planDelta,
  planGrant,
  replay,
  replayMismatches,
  spendableLots,
  totalAmount,
  type LedgerLogRow,
  type LedgerPlan,
  type Lot,
} from '../../domain/ledger';

const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;
const T0 = Date.parse('2026-01-01T00:00:00+09:00');
const at = (ms: number) => new Date(ms);
const now = at(T0 + 10 * DAY);

function lot(id: string, amount: number, expiresInDays: number | null, createdDaysAgo = 1): Lot {
  return {
    id,
    amount,
    expiresAt: expiresInDays === null ? null : at(now.getTime() + expiresInDays * DAY),
    createdAt: at(now.getTime() - createdDaysAgo * DAY),
  };
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof BusinessError) return err.code;
    throw err;
  }
  throw new Error('expected a BusinessError');
}

function snapshot(lots: readonly Lot[]): unknown {
  return lots.map((l) => ({
    ...l,
    expiresAt: l.expiresAt?.getTime() ?? null,
    createdAt: l.createdAt.getTime(),
  }));
}

describe('有効残高取得 (effective balance)', () => {
  it('counts unexpired lots and debts, not expired lots, minus holds', () => {
    const lots = [lot('a', 100, 5), lot('b', 40, -1), lot('c', 30, null)];
    expect(effectiveBalance(lots, now, 0)).toBe(130);
    expect(effectiveBalance(lots, now, 25)).toBe(105);
    expect(effectiveBalance([lot('d', -20, null)], now, 5)).toBe(-25);
  });

  it('treats a lot expiring exactly now as expired (expiresAt is exclusive)', () => {
    const edge = lot('e', 50, 0);
    expect(effectiveBalance([edge], now, 0)).toBe(0);
    expect(effectiveBalance([edge], at(now.getTime() - 1), 0)).toBe(50);
  });
});

describe('残高判定 (reserve check, before the API call)', () => {
  const lots = [lot('a', 10, 5)];

  it('accepts a balance equal to the estimate', () => {
    expect(checkReserve(lots, now, 0, 10)).toEqual({ ok: true, required: 10, available: 10 });
  });

  it('refuses a balance below the estimate with INSUFFICIENT_POINTS and the numbers', () => {
    const r = checkReserve(lots, now, 3, 8);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('INSUFFICIENT_POINTS');
    expect(r.error.httpStatus).toBe(402);
    expect(r.error.details).toMatchObject({ required: 8, available: 7 });
  });

  it('refuses a user in debt even for a zero estimate', () => {
    expect(checkReserve([lot('d', -1, null)], now, 0, 0).ok).toBe(false);
  });
});

describe('ポイント使用（事後更新） (charge, after the API call)', () => {
  it('残高レコードがない場合: registers a negative lot', () => {
    expect(planCharge([], now, 7)).toEqual([
      { kind: 'create', tempId: 'new-1', amount: -7, expiresAt: null },
    ]);
  });

  it('残高＞残使用ポイント: updates the lot (stays positive) and stops', () => {
    const plan = planCharge([lot('a', 100, 5), lot('b', 100, 9)], now, 30);
    expect(plan).toEqual([
      {
        kind: 'update',
        lotId: 'a',
        delta: -30,
        amountAfter: 70,
        expiresAt: lot('a', 0, 5).expiresAt,
      },
    ]);
  });

  it('残高＜残使用ポイント (not the last): deletes it and carries on, soonest expiry first', () => {
    const lots = [lot('later', 100, 9), lot('never', 100, null), lot('soon', 20, 2)];
    const plan = planCharge(lots, now, 50);
    expect(plan.map((c) => [c.kind, 'lotId' in c ? c.lotId : c.tempId, planDelta([c])])).toEqual([
      ['delete', 'soon', -20],
      ['update', 'later', -30],
    ]);
  });

  it('最新の残高レコード(=ループの最後): the last lot goes negative and loses its expiry', () => {
    const plan = planCharge([lot('a', 10, 2), lot('b', 5, 3)], now, 40);
    expect(plan).toEqual([
      { kind: 'delete', lotId: 'a', delta: -10, expiresAt: lot('a', 0, 2).expiresAt },
      { kind: 'update', lotId: 'b', delta: -30, amountAfter: -25, expiresAt: null },
    ]);
  });

  it('残高＝残使用ポイント: deletes the lot', () => {
    expect(planCharge([lot('a', 10, 2)], now, 10)).toEqual([
      { kind: 'delete', lotId: 'a', delta: -10, expiresAt: lot('a', 0, 2).expiresAt },
    ]);
  });

  it('ignores expired lots (neither charged nor counted as "the last lot")', () => {
    const plan = planCharge([lot('old', 100, -1), lot('edge', 100, 0)], now, 5);
    expect(plan).toEqual([{ kind: 'create', tempId: 'new-1', amount: -5, expiresAt: null }]);
  });

  it('grows the existing debt instead of opening a second negative lot', () => {
    const plan = planCharge([lot('debt', -5, null), lot('old', 100, -1)], now, 3);
    expect(plan).toEqual([
      { kind: 'update', lotId: 'debt', delta: -3, amountAfter: -8, expiresAt: null },
    ]);
  });

  it('puts the overflow onto an existing debt in the "should not happen" mixed case', () => {
    const plan = planCharge([lot('debt', -5, null), lot('a', 10, 3)], now, 12);
    expect(plan).toEqual([
      { kind: 'delete', lotId: 'a', delta: -10, expiresAt: lot('a', 0, 3).expiresAt },
      { kind: 'update', lotId: 'debt', delta: -2, amountAfter: -7, expiresAt: null },
    ]);
  });

  it('breaks expiry ties by creation time, then id', () => {
    const lots = [lot('b', 5, 3, 1), lot('a', 5, 3, 1), lot('c', 5, 3, 2)];
    expect(spendableLots(lots, now).map((l) => l.id)).toEqual(['c', 'a', 'b']);
  });

  it('charging 0 is a no-op', () => {
    expect(planCharge([lot('a', 1, 1)], now, 0)).toEqual([]);
  });
});

describe('ポイント付与 (grant)', () => {
  it('offsets negative lots oldest first, deleting those that reach 0, then adds the rest', () => {
    const expiresAt = at(now.getTime() + 180 * DAY);
    // Two debts cannot arise through these rules, but stored data may predate them.
    const lots = [lot('newer', -30, null, 1), lot('older', -20, null, 5), lot('x', 9, -1)];
    expect(planGrant(lots, 100, expiresAt)).toEqual([
      { kind: 'delete', lotId: 'older', delta: 20, expiresAt: null },
      { kind: 'delete', lotId: 'newer', delta: 30, expiresAt: null },
      { kind: 'create', tempId: 'new-1', amount: 50, expiresAt },
    ]);
  });

  it('全額相殺し切れない: updates the debt and creates no lot', () => {
    expect(planGrant([lot('d', -30, null)], 10, null)).toEqual([
      { kind: 'update', lotId: 'd', delta: 10, amountAfter: -20, expiresAt: null },
    ]);
  });

  it('exactly offsetting a debt deletes it and creates nothing', () => {
    expect(planGrant([lot('d', -30, null)], 30, null)).toEqual([
      { kind: 'delete', lotId: 'd', delta: 30, expiresAt: null },
    ]);
  });

  it('with no debt, creates one lot with the given expiry', () => {
    expect(planGrant([lot('a', 5, 1)], 10, null)).toEqual([
      { kind: 'create', tempId: 'new-1', amount: 10, expiresAt: null },
    ]);
  });
});

describe('admin adjustment', () => {
  it('a positive delta is a grant, a negative one a charge', () => {
    const lots = [lot('d', -5, null)];
    expect(planAdjust(lots, now, 8, null)).toEqual(planGrant(lots, 8, null));
    expect(planAdjust(lots, now, -8)).toEqual(planCharge(lots, now, 8));
  });

  it('refuses zero and non-integers', () => {
    for (const bad of [0, 1.5, NaN, Infinity, -Infinity])
      expect(codeOf(() => planAdjust([], now, bad))).toBe('INVALID_INPUT');
  });
});

describe('applying plans and replaying the log', () => {
  it('applies a plan, gives created lots their ids, and leaves the input untouched', () => {
    const lots = [lot('a', 10, 2), lot('b', 5, 3)];
    const before = snapshot(lots);
    const plan = planCharge(lots, now, 12);
    const after = applyPlan(lots, plan, now);
    expect(snapshot(lots)).toEqual(before);
    expect(after).toEqual([{ ...lot('b', 3, 3) }]);

    const created = applyPlan([], planCharge([], now, 4), now, () => 'lot-9');
    expect(created).toEqual([{ id: 'lot-9', amount: -4, expiresAt: null, createdAt: now }]);
  });

  it('refuses a plan that does not fit the lots (stale read, concurrent writer)', () => {
    const plan = planCharge([lot('a', 10, 2)], now, 4);
    expect(codeOf(() => applyPlan([lot('a', 11, 2)], plan, now))).toBe('SYSTEM_ERROR');
    expect(codeOf(() => applyPlan([], plan, now))).toBe('SYSTEM_ERROR');
  });

  it('replays the log rows, deletions included, to the stored lots', () => {
    let lots: Lot[] = [];
    const log: LedgerLogRow[] = [];
    let n = 0;
    const step = (plan: LedgerPlan) => {
      const id = `lot-${++n}`;
      lots = applyPlan(lots, plan, now, () => id);
      log.push(...logRowsFor(plan, () => id));
    };
    step(planGrant(lots, 50, at(now.getTime() + DAY)));
    step(planCharge(lots, now, 80));
    step(planGrant(lots, 10, null));
    step(planGrant(lots, 40, null));
    expect(replay(log)).toEqual(
      lots.map(({ id, amount, expiresAt }) => ({ id, amount, expiresAt })),
    );
    expect(replayMismatches(lots, log)).toEqual([]);
    expect(log.some((r) => r.lotAmountAfter === 0)).toBe(true);
  });

  it('reports a tampered lot and a broken log', () => {
    const log = logRowsFor(planGrant([], 10, null), () => 'x');
    const stored: Lot[] = [{ id: 'x', amount: 11, expiresAt: null, createdAt: now }];
    expect(replayMismatches(stored, log)).toEqual(['lot x: stored 11, log 10']);
    expect(replayMismatches([], log)).toEqual(['lot x (10) is in the log only']);
    expect(codeOf(() => replay([...log, { ...log[0]!, delta: 5, lotAmountAfter: 16 }]))).toBe(
      'SYSTEM_ERROR',
    );
  });
});

describe('input validation', () => {
  const bads = [NaN, Infinity, -1, 1.5, 2 ** 53, '3' as unknown as number];

  it('refuses bad points and estimates with INVALID_INPUT', () => {
    for (const bad of bads) {
      expect(codeOf(() => planCharge([], now, bad))).toBe('INVALID_INPUT');
      expect(codeOf(() => planGrant([], bad, null))).toBe('INVALID_INPUT');
      expect(codeOf(() => checkReserve([], now, 0, bad))).toBe('INVALID_INPUT');
      expect(codeOf(() => effectiveBalance([], now, bad))).toBe('INVALID_INPUT');
    }
  });

  it('refuses bad dates and corrupt lots', () => {
    expect(codeOf(() => planCharge([], new Date(NaN), 1))).toBe('INVALID_INPUT');
    expect(codeOf(() => planGrant([], 1, new Date('nope')))).toBe('INVALID_INPUT');
    expect(codeOf(() => planCharge([lot('a', 1.5, 1)], now, 1))).toBe('INVALID_INPUT');
    expect(codeOf(() => planCharge([lot('a', 1, 1), lot('a', 2, 1)], now, 1))).toBe(
      'INVALID_INPUT',
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Property-based: the ledger against a one-point-at-a-time reference model of seed 003.

/**
 * The model keeps every granted point as its own unit tagged with its lot, plus one debt
 * counter. A grant first pays the debt; a charge takes units one at a time, always the unit
 * that expires soonest (ties: older lot, then smaller id), and when none is left the rest is
 * debt. Obviously right, hopelessly slow for real use.
 */
class ReferenceLedger {
  readonly units = new Map<
    string,
    { expiresAt: number | null; createdAt: number; count: number }
  >();
  debt = 0;

  grant(points: number, expiresAt: number | null, createdAt: number, newId: string): void {
    const offset = Math.min(this.debt, points);
    this.debt -= offset;
    if (points > offset) this.units.set(newId, { expiresAt, createdAt, count: points - offset });
  }

  charge(points: number, now: number): void {
    for (let i = 0; i < points; i++) {
      let best: string | undefined;
      for (const [id, u] of this.units) {
        if (u.expiresAt !== null && u.expiresAt <= now) continue;
        const b = best === undefined ? undefined : this.units.get(best);
        if (!b || this.before(u, id, b, best!)) best = id;
      }
      if (best === undefined) {
        this.debt += 1;
        continue;
      }
      const u = this.units.get(best)!;
      u.count -= 1;
      if (u.count === 0) this.units.delete(best);
    }
  }

  balance(now: number): number {
    let sum = 0 - this.debt;
    for (const u of this.units.values())
      if (u.expiresAt === null || u.expiresAt > now) sum += u.count;
    return sum;
  }

  private before(
    a: { expiresAt: number | null; createdAt: number },
    aId: string,
    b: { expiresAt: number | null; createdAt: number },
    bId: string,
  ): boolean {
    const ea = a.expiresAt ?? Infinity;
    const eb = b.expiresAt ?? Infinity;
    if (ea !== eb) return ea < eb;
    if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt;
    return aId < bId;
  }
}

type Op =
  | { kind: 'grant'; points: number; expiresInDays: number | null; advanceHours: number }
  | { kind: 'charge'; points: number; advanceHours: number }
  | { kind: 'adjust'; delta: number; advanceHours: number };

const advance = fc.integer({ min: 0, max: 72 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('grant' as const),
    points: fc.integer({ min: 0, max: 60 }),
    // Whole days on a grid so that expiry ties, and expiry exactly at "now", both happen.
    expiresInDays: fc.option(fc.integer({ min: 0, max: 6 }), { nil: null }),
    advanceHours: advance,
  }),
  fc.record({
    kind: fc.constant('charge' as const),
    points: fc.integer({ min: 0, max: 80 }),
    advanceHours: advance,
  }),
  fc.record({
    kind: fc.constant('adjust' as const),
    delta: fc.integer({ min: -50, max: 50 }).filter((d) => d !== 0),
    advanceHours: advance,
  }),
);

describe('properties against the reference model', () => {
  it('matches the model on balance, conserves points, keeps one debt, replays exactly, spends soonest-expiry first', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
        const model = new ReferenceLedger();
        let lots: Lot[] = [];
        const log: LedgerLogRow[] = [];
        let t = T0;
        let seq = 0;

        for (const op of ops) {
          t += op.advanceHours * HOUR;
          const nowT = at(t);
          const newId = `lot-${String(++seq).padStart(5, '0')}`;
          const before = lots;
          const beforeSnapshot = snapshot(before);
          let plan: LedgerPlan;
          let expectedDelta: number;

          if (op.kind === 'grant') {
            // Expiries on UTC midnights: hourly steps land on them, so "expires exactly now"
            // and equal expiries both occur.
            const expiresAt =
              op.expiresInDays === null ? null : Math.floor(t / DAY) * DAY + op.expiresInDays * DAY;
            plan = planGrant(lots, op.points, expiresAt === null ? null : at(expiresAt));
            model.grant(op.points, expiresAt, t, newId);
            expectedDelta = op.points;
          } else if (op.kind === 'charge') {
            plan = planCharge(lots, nowT, op.points);
            model.charge(op.points, t);
            expectedDelta = 0 - op.points;
          } else {
            plan = planAdjust(lots, nowT, op.delta, null);
            if (op.delta > 0) model.grant(op.delta, null, t, newId);
            else model.charge(-op.delta, t);
            expectedDelta = op.delta;
          }

          lots = applyPlan(lots, plan, nowT, () => newId);
          log.push(...logRowsFor(plan, () => newId));

          // Inputs are never mutated.
          expect(snapshot(before)).toEqual(beforeSnapshot);

          // (a) effective balance matches the model, now and later.
          expect(effectiveBalance(lots, nowT, 0)).toBe(model.balance(t));
          expect(effectiveBalance(lots, at(t + 3 * DAY), 0)).toBe(model.balance(t + 3 * DAY));

          // (b) points are neither created nor lost.
          expect(planDelta(plan)).toBe(expectedDelta);
          expect(totalAmount(lots) - totalAmount(before)).toBe(expectedDelta);

          // Per-lot amounts match the model: each positive lot holds exactly its units, and
          // the debt is the one negative lot.
          const positives = lots.filter((l) => l.amount > 0);
          expect(Object.fromEntries(positives.map((l) => [l.id, l.amount]))).toEqual(
            Object.fromEntries([...model.units].map(([id, u]) => [id, u.count])),
          );

          // (c) at most one negative lot, never alongside a usable positive lot.
          const negatives = lots.filter((l) => l.amount < 0);
          expect(negatives.length).toBeLessThanOrEqual(1);
          expect(negatives.reduce((s, l) => s + l.amount, 0)).toBe(0 - model.debt);
          if (negatives.length > 0) expect(spendableLots(lots, nowT)).toEqual([]);
          expect(negatives.every((l) => l.expiresAt === null)).toBe(true);
          expect(lots.every((l) => l.amount !== 0)).toBe(true);

          // (d) the log replays to the lots.
          expect(replayMismatches(lots, log)).toEqual([]);

          // (e) a charge touches a prefix of the spend order; all but the last touched are
          // used up.
          if (op.kind === 'charge' || (op.kind === 'adjust' && op.delta < 0)) {
            const order = spendableLots(before, nowT).map((l) => l.id);
            const touched = plan.flatMap((c) =>
              c.kind !== 'create' && order.includes(c.lotId) ? [c] : [],
            );
            expect(touched.map((c) => c.lotId)).toEqual(order.slice(0, touched.length));
            expect(touched.slice(0, -1).every((c) => c.kind === 'delete')).toBe(true);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('reserve succeeds exactly when the balance net of holds covers the estimate', () => {
    const lotArb = fc.record({
      amount: fc.integer({ min: -100, max: 100 }).filter((a) => a !== 0),
      expiresInDays: fc.option(fc.integer({ min: -3, max: 3 }), { nil: null }),
    });
    fc.assert(
      fc.property(
        fc.array(lotArb, { maxLength: 6 }),
        fc.nat(200),
        fc.nat(200),
        (specs, holds, estimate) => {
          const lots = specs.map((s, i) =>
            lot(`l${i}`, s.amount, s.amount < 0 ? null : s.expiresInDays),
          );
          const r = checkReserve(lots, now, holds, estimate);
          const available = effectiveBalance(lots, now, holds);
          expect(r.ok).toBe(available >= estimate);
          expect(r.available).toBe(available);
        },
      ),
    );
  });

  it('refuses every non-integer, negative or non-finite amount with INVALID_INPUT', () => {
    const bad = fc.oneof(
      fc.double({ noInteger: true }),
      fc.integer({ max: -1 }),
      fc.constantFrom(NaN, Infinity, -Infinity, 2 ** 53),
    );
    fc.assert(
      fc.property(bad, (points) => {
        expect(codeOf(() => planCharge([], now, points))).toBe('INVALID_INPUT');
        expect(codeOf(() => planGrant([], points, null))).toBe('INVALID_INPUT');
      }),
    );
  });
});
