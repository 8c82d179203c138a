import { randomUUID } from 'node:crypto';
import { addDays } from '../../domain/clock';
import type { Ledger } from '../../ledger/store';
import type { Db } from '../../lib/db';
import {
  catalog,
  codeOf,
  errorOf,
  heldRows,
  ledgerFor,
  ManualClock,
  newDb,
  newUser,
  recordsCosting,
  settleInput,
  snapshotOf,
  turn,
  usageCount,
  userWithPoints,
} from './ledger-fixtures';

/**
 * The ledger on real PostgreSQL, one behaviour at a time: holds, settlement, release, grants,
 * adjustments, expiry, overdraft, the daily limit and its reset, privileged users, idempotency
 * of every operation, and bad input changing nothing. Concurrency is in ledger-concurrency.
 */

const JST_NOON = '2026-11-22T12:00:00+09:00';
const DAY = '2026-11-22';
const IN_A_YEAR = '2027-11-22T00:00:00Z';

let db: Db;
let clock: ManualClock;
let ledger: Ledger;

beforeAll(() => {
  db = newDb();
});
afterAll(async () => {
  await db.$disconnect();
});
beforeEach(() => {
  clock = new ManualClock(JST_NOON);
  ledger = ledgerFor(db, clock);
});

const userWith = (points: number, planId?: string) => userWithPoints(db, ledger, points, planId);

describe('reserve → settle', () => {
  it('holds the estimate, then charges the real cost and ends the hold', async () => {
    const user = await userWith(100, 'basic');
    const turnId = turn();
    const reserved = await ledger.reserveTurn({ turnId, userId: user.id, estimatePoints: 30 });
    expect(reserved).toEqual({
      status: 'held',
      heldPoints: 30,
      usage: {
        remainingCount: 9,
        dailyLimit: 10,
        resetTime: '2026-11-23T00:00:00+09:00',
        canUseChat: true,
      },
    });
    expect(await ledger.getBalance(user.id)).toEqual({
      balance: 70,
      held: 30,
      lots: [{ amount: 100, expiresAt: '2027-11-22T00:00:00.000Z' }],
    });

    let callbackRuns = 0;
    const settled = await ledger.settleTurn(settleInput(user.id, turnId, 42), async (tx) => {
      callbackRuns += 1;
      await tx.chatArchive.create({
        data: { userId: user.id, turnId, role: 'assistant', content: 'こんにちは' },
      });
    });
    expect(settled).toEqual({
      alreadySettled: false,
      privileged: false,
      pointsCharged: 42,
      releasedHold: 30,
      balanceAfter: 58,
    });
    expect(callbackRuns).toBe(1);
    expect(await ledger.getBalance(user.id)).toMatchObject({ balance: 58, held: 0 });
    expect(await db.usageRecord.count({ where: { turnId } })).toBe(2);
    const raw = await db.openaiUsage.findUnique({ where: { turnId } });
    expect(raw?.usage).toEqual({ prompt_tokens: 42, completion_tokens: 0, total_tokens: 42 });
    expect(raw?.metadata).toMatchObject({ model: 'gpt-4o-mini', workflowId: turnId });
    const inRecord = await db.usageRecord.findUnique({
      where: { turnId_ioType: { turnId, ioType: 'in' } },
    });
    expect(inRecord?.dollarPerToken?.toString()).toBe('0.01');
    expect(inRecord?.points).toBe(42);
    // The slot stays consumed after settlement.
    expect(await usageCount(db, user.id, DAY)).toBe(1);
    expect(await ledger.replayCheck(user.id)).toEqual([]);
  });

  it('refuses an estimate above the effective balance, naming required and available', async () => {
    const user = await userWith(50);
    await ledger.reserveTurn({ turnId: turn(), userId: user.id, estimatePoints: 30 });
    const before = await snapshotOf(db, user.id);
    const err = await errorOf(
      ledger.reserveTurn({ turnId: turn(), userId: user.id, estimatePoints: 21 }),
    );
    expect(err.code).toBe('INSUFFICIENT_POINTS');
    expect(err.details).toEqual({ required: 21, available: 20 });
    expect(await snapshotOf(db, user.id)).toEqual(before); // no hold, no slot
    // Exactly the rest is fine.
    await expect(
      ledger.reserveTurn({ turnId: turn(), userId: user.id, estimatePoints: 20 }),
    ).resolves.toMatchObject({ status: 'held' });
  });

  it('soonest-expiring lots are spent first; never-expiring last', async () => {
    const user = await newUser(db);
    const grant = (points: number, expiresAt: string | null) =>
      ledger.grantPoints({
        sourceRef: `g-${randomUUID()}`,
        userId: user.id,
        points,
        expiresAt,
        reason: 'test',
      });
    await grant(10, null);
    await grant(10, '2027-03-01T00:00:00Z');
    await grant(10, '2027-01-01T00:00:00Z');
    await ledger.settleTurn(settleInput(user.id, turn(), 15));
    expect((await ledger.getBalance(user.id)).lots).toEqual([
      { amount: 5, expiresAt: '2027-03-01T00:00:00.000Z' },
      { amount: 10, expiresAt: null },
    ]);
    expect(await ledger.replayCheck(user.id)).toEqual([]);
  });
});

describe('idempotency: every operation called twice has one effect', () => {
  it('reserveTurn twice: the same result, one hold, one slot', async () => {
    const user = await userWith(100, 'basic');
    const input = { turnId: turn(), userId: user.id, estimatePoints: 10 };
    const first = await ledger.reserveTurn(input);
    const second = await ledger.reserveTurn(input);
    expect(second).toEqual(first);
    expect(await heldRows(db, user.id)).toBe(1);
    expect(await usageCount(db, user.id, DAY)).toBe(1);
    expect((await ledger.getBalance(user.id)).balance).toBe(90);
  });

  it('settleTurn twice: alreadySettled, nothing written, the callback not run', async () => {
    const user = await userWith(100);
    const turnId = turn();
    await ledger.reserveTurn({ turnId, userId: user.id, estimatePoints: 10 });
    const callback = jest.fn(async () => {});
    const first = await ledger.settleTurn(settleInput(user.id, turnId, 12), callback);
    const snapshot = await snapshotOf(db, user.id);
    const second = await ledger.settleTurn(settleInput(user.id, turnId, 12), callback);
    expect(second).toEqual({ ...first, alreadySettled: true, releasedHold: 0 });
    expect(second.pointsCharged).toBe(12);
    expect(callback).toHaveBeenCalledTimes(1);
    expect(await snapshotOf(db, user.id)).toEqual(snapshot);
  });

  it('a turn already settled or released: reserve reports it and does nothing', async () => {
    const user = await userWith(100, 'basic');
    const settledTurn = turn();
    await ledger.reserveTurn({ turnId: settledTurn, userId: user.id, estimatePoints: 10 });
    await ledger.settleTurn(settleInput(user.id, settledTurn, 10));
    const releasedTurn = turn();
    await ledger.reserveTurn({ turnId: releasedTurn, userId: user.id, estimatePoints: 10 });
    await ledger.releaseTurn({ turnId: releasedTurn });
    const snapshot = await snapshotOf(db, user.id);

    const again = (turnId: string) =>
      ledger.reserveTurn({ turnId, userId: user.id, estimatePoints: 10 });
    expect(await again(settledTurn)).toMatchObject({ status: 'settled', heldPoints: 0 });
    expect(await again(releasedTurn)).toMatchObject({ status: 'released', heldPoints: 0 });
    expect(await snapshotOf(db, user.id)).toEqual(snapshot);
    expect(await ledger.releaseTurn({ turnId: settledTurn })).toEqual({
      released: false,
      status: 'settled',
      releasedPoints: 0,
    });
    expect(await snapshotOf(db, user.id)).toEqual(snapshot);
  });

  it('releaseTurn twice: one release, one slot given back; unknown turn is a no-op', async () => {
    const user = await userWith(100, 'basic');
    const turnId = turn();
    await ledger.reserveTurn({ turnId, userId: user.id, estimatePoints: 10 });
    await ledger.reserveTurn({ turnId: turn(), userId: user.id, estimatePoints: 10 });
    expect(await usageCount(db, user.id, DAY)).toBe(2);
    expect(await ledger.releaseTurn({ turnId })).toEqual({
      released: true,
      status: 'released',
      releasedPoints: 10,
    });
    expect(await ledger.releaseTurn({ turnId })).toEqual({
      released: false,
      status: 'released',
      releasedPoints: 0,
    });
    expect(await usageCount(db, user.id, DAY)).toBe(1);
    expect(await ledger.getBalance(user.id)).toMatchObject({ balance: 90, held: 10 });
    expect(await ledger.releaseTurn({ turnId: turn('never') })).toEqual({
      released: false,
      status: 'unknown',
      releasedPoints: 0,
    });
  });

  it('grantPoints twice by the same source: one lot', async () => {
    const user = await newUser(db);
    const input = {
      sourceRef: `evt_${randomUUID()}`,
      userId: user.id,
      points: 500,
      expiresAt: new Date(IN_A_YEAR),
      reason: 'purchase:points_500',
    };
    expect(await ledger.grantPoints(input)).toEqual({ granted: true, balanceAfter: 500 });
    expect(await ledger.grantPoints(input)).toEqual({ granted: false, balanceAfter: 500 });
    expect(await db.pointLot.count({ where: { userId: user.id } })).toBe(1);
    expect(await db.pointGrant.count({ where: { sourceRef: input.sourceRef } })).toBe(1);
    // The same source for another user is refused, not granted twice.
    const other = await newUser(db);
    expect(await codeOf(ledger.grantPoints({ ...input, userId: other.id }))).toBe('INVALID_INPUT');
    expect(await db.pointLot.count({ where: { userId: other.id } })).toBe(0);
  });

  it('adjustPoints twice by the same source: one adjustment', async () => {
    const user = await userWith(100);
    const input = { sourceRef: `admin-${randomUUID()}`, userId: user.id, delta: -30, reason: 'x' };
    expect(await ledger.adjustPoints(input)).toEqual({ adjusted: true, balanceAfter: 70 });
    expect(await ledger.adjustPoints(input)).toEqual({ adjusted: false, balanceAfter: 70 });
    const up = { sourceRef: `admin-${randomUUID()}`, userId: user.id, delta: 5, reason: 'x' };
    expect(await ledger.adjustPoints(up)).toEqual({ adjusted: true, balanceAfter: 75 });
    expect(await ledger.adjustPoints(up)).toEqual({ adjusted: false, balanceAfter: 75 });
    const logs = await db.pointLedgerLog.findMany({ where: { userId: user.id, reason: 'adjust' } });
    expect(logs.map((l) => l.delta).sort()).toEqual([-30, 5]);
    expect(await ledger.replayCheck(user.id)).toEqual([]);
  });
});

describe('release (compensation) and leaked holds', () => {
  it('after release the whole balance is available again (no false "over budget")', async () => {
    const user = await userWith(40);
    const a = turn();
    await ledger.reserveTurn({ turnId: a, userId: user.id, estimatePoints: 40 });
    expect(
      await codeOf(ledger.reserveTurn({ turnId: turn(), userId: user.id, estimatePoints: 1 })),
    ).toBe('INSUFFICIENT_POINTS');
    await ledger.releaseTurn({ turnId: a });
    expect(await ledger.getBalance(user.id)).toMatchObject({ balance: 40, held: 0 });
    await expect(
      ledger.reserveTurn({ turnId: turn(), userId: user.id, estimatePoints: 40 }),
    ).resolves.toMatchObject({ status: 'held' });
  });

  it('release gives the daily slot back, on the day it was taken', async () => {
    const user = await userWith(100, 'basic');
    clock.set('2026-11-22T23:59:59+09:00');
    const turnId = turn();
    await ledger.reserveTurn({ turnId, userId: user.id, estimatePoints: 1 });
    clock.set('2026-11-23T00:00:01+09:00');
    await ledger.reserveTurn({ turnId: turn(), userId: user.id, estimatePoints: 1 });
    await ledger.releaseTurn({ turnId });
    expect(await usageCount(db, user.id, '2026-11-22')).toBe(0);
    expect(await usageCount(db, user.id, '2026-11-23')).toBe(1);
    expect((await ledger.getUsage(user.id)).remainingCount).toBe(9);
  });

  it('a release that comes before a late reserve leaves a tombstone (no leaked hold)', async () => {
    const user = await userWith(100, 'basic');
    const turnId = turn();
    expect(await ledger.releaseTurn({ turnId, userId: user.id })).toEqual({
      released: false,
      status: 'released',
      releasedPoints: 0,
    });
    expect(await ledger.reserveTurn({ turnId, userId: user.id, estimatePoints: 10 })).toMatchObject(
      { status: 'released', heldPoints: 0 },
    );
    expect(await heldRows(db, user.id)).toBe(0);
    expect(await usageCount(db, user.id, DAY)).toBe(0);
  });

  it('releaseStaleHolds ends holds of turns that never finished', async () => {
    // Far in the past, so that only this test's holds are older than the cut-off.
    clock.set('2001-01-01T12:00:00+09:00');
    const user = await userWith(100, 'basic');
    const stale = turn();
    await ledger.reserveTurn({ turnId: stale, userId: user.id, estimatePoints: 10 });
    clock.advance(60 * 60 * 1000);
    const fresh = turn();
    await ledger.reserveTurn({ turnId: fresh, userId: user.id, estimatePoints: 10 });
    const { released } = await ledger.releaseStaleHolds({
      olderThan: new Date(clock.now().getTime() - 30 * 60 * 1000),
    });
    expect(released).toContain(stale);
    expect(released).not.toContain(fresh);
    expect(await ledger.getBalance(user.id)).toMatchObject({ balance: 90, held: 10 });
  });
});

describe('settling without a hold', () => {
  it('charges directly, counts the turn once and marks it settled', async () => {
    const user = await userWith(100, 'basic');
    const turnId = turn();
    const result = await ledger.settleTurn(settleInput(user.id, turnId, 25));
    expect(result).toMatchObject({ alreadySettled: false, pointsCharged: 25, releasedHold: 0 });
    expect(await usageCount(db, user.id, DAY)).toBe(1);
    expect(await ledger.reserveTurn({ turnId, userId: user.id, estimatePoints: 5 })).toMatchObject({
      status: 'settled',
    });
    expect((await ledger.getBalance(user.id)).balance).toBe(75);
  });

  it('after a release: charges the real cost and takes the slot back', async () => {
    const user = await userWith(100, 'basic');
    const turnId = turn();
    await ledger.reserveTurn({ turnId, userId: user.id, estimatePoints: 5 });
    await ledger.releaseTurn({ turnId });
    expect(await usageCount(db, user.id, DAY)).toBe(0);
    await ledger.settleTurn(settleInput(user.id, turnId, 7));
    expect(await usageCount(db, user.id, DAY)).toBe(1);
    expect(await ledger.getBalance(user.id)).toMatchObject({ balance: 93, held: 0 });
  });
});

describe('overdraft and grants (seed 003)', () => {
  it('the last lot goes negative; a grant offsets it first and deletes it at 0', async () => {
    const user = await userWith(5);
    await ledger.settleTurn(settleInput(user.id, turn(), 8));
    const [debt] = await db.pointLot.findMany({ where: { userId: user.id } });
    expect(debt).toMatchObject({ amount: -3, expiresAt: null });
    expect(await ledger.getBalance(user.id)).toEqual({
      balance: -3,
      held: 0,
      lots: [{ amount: -3, expiresAt: null }],
    });
    // In debt: even a zero estimate is refused.
    expect(
      await codeOf(ledger.reserveTurn({ turnId: turn(), userId: user.id, estimatePoints: 0 })),
    ).toBe('INSUFFICIENT_POINTS');

    const sourceRef = `evt_${randomUUID()}`;
    expect(
      await ledger.grantPoints({
        sourceRef,
        userId: user.id,
        points: 10,
        expiresAt: IN_A_YEAR,
        reason: 'purchase',
      }),
    ).toEqual({ granted: true, balanceAfter: 7 });
    const lots = await db.pointLot.findMany({ where: { userId: user.id } });
    expect(lots).toHaveLength(1);
    expect(lots[0]).toMatchObject({ amount: 7, sourceRef });
    expect(lots[0]?.id).not.toBe(debt?.id);
    const logs = await db.pointLedgerLog.findMany({ where: { ref: sourceRef } });
    expect(logs.map((l) => [l.reason, l.delta, l.lotAmountAfter]).sort()).toEqual([
      ['grant', 7, 7],
      ['offset', 3, 0],
    ]);
    expect(await ledger.replayCheck(user.id)).toEqual([]);
  });

  it('with no lot at all a negative lot is created; a small grant only reduces the debt', async () => {
    const user = await newUser(db);
    await ledger.settleTurn(settleInput(user.id, turn(), 10));
    expect((await ledger.getBalance(user.id)).balance).toBe(-10);
    const result = await ledger.grantPoints({
      sourceRef: `evt_${randomUUID()}`,
      userId: user.id,
      points: 4,
      expiresAt: IN_A_YEAR,
      reason: 'purchase',
    });
    expect(result).toEqual({ granted: true, balanceAfter: -6 });
    expect(await db.pointLot.findMany({ where: { userId: user.id } })).toMatchObject([
      { amount: -6, expiresAt: null },
    ]);
    expect(await ledger.replayCheck(user.id)).toEqual([]);
  });

  it('a grant of 0 records the source and changes no lot', async () => {
    const user = await newUser(db);
    const input = {
      sourceRef: `evt_${randomUUID()}`,
      userId: user.id,
      points: 0,
      expiresAt: IN_A_YEAR,
      reason: 'subscription with no points',
    };
    expect(await ledger.grantPoints(input)).toEqual({ granted: true, balanceAfter: 0 });
    expect(await ledger.grantPoints(input)).toEqual({ granted: false, balanceAfter: 0 });
    expect(await db.pointLot.count({ where: { userId: user.id } })).toBe(0);
  });
});

describe('expiry', () => {
  const EXPIRY = '2026-11-22T15:00:00.000Z'; // 2026-11-23 00:00 JST

  it('a lot counts until the instant before its expiry and not at it', async () => {
    const user = await newUser(db);
    await ledger.grantPoints({
      sourceRef: `evt_${randomUUID()}`,
      userId: user.id,
      points: 50,
      expiresAt: EXPIRY,
      reason: 'test',
    });
    clock.set(new Date(Date.parse(EXPIRY) - 1));
    expect((await ledger.getBalance(user.id)).balance).toBe(50);
    await expect(
      ledger.reserveTurn({ turnId: turn(), userId: user.id, estimatePoints: 50 }),
    ).resolves.toMatchObject({ status: 'held' });

    clock.set(EXPIRY);
    expect(await ledger.getBalance(user.id)).toEqual({ balance: -50, held: 50, lots: [] });
    expect(
      await codeOf(ledger.reserveTurn({ turnId: turn(), userId: user.id, estimatePoints: 1 })),
    ).toBe('INSUFFICIENT_POINTS');
  });

  it('a charge at the expiry instant skips the expired lot, which is left in place', async () => {
    const user = await newUser(db);
    const grant = (points: number, expiresAt: string) =>
      ledger.grantPoints({
        sourceRef: `evt_${randomUUID()}`,
        userId: user.id,
        points,
        expiresAt,
        reason: 'test',
      });
    await grant(50, EXPIRY);
    await grant(20, IN_A_YEAR);
    clock.set(EXPIRY);
    await ledger.settleTurn(settleInput(user.id, turn(), 30));
    const lots = await db.pointLot.findMany({
      where: { userId: user.id },
      orderBy: { amount: 'asc' },
    });
    expect(lots.map((l) => [l.amount, l.expiresAt?.toISOString() ?? null])).toEqual([
      [-10, null],
      [50, EXPIRY],
    ]);
    expect((await ledger.getBalance(user.id)).balance).toBe(-10);
    expect(await ledger.replayCheck(user.id)).toEqual([]);
  });

  it('a grant that would already be expired is refused', async () => {
    const user = await newUser(db);
    const before = await snapshotOf(db, user.id);
    expect(
      await codeOf(
        ledger.grantPoints({
          sourceRef: `evt_${randomUUID()}`,
          userId: user.id,
          points: 10,
          expiresAt: clock.now(),
          reason: 'late',
        }),
      ),
    ).toBe('INVALID_INPUT');
    expect(await snapshotOf(db, user.id)).toEqual(before);
  });
});

describe('daily limit (seed 004)', () => {
  it('resets at 00:00 in Asia/Tokyo: 23:59:59 is still the old day', async () => {
    const user = await userWith(1000, 'basic');
    clock.set('2026-11-22T23:59:50+09:00');
    for (let i = 0; i < 10; i++)
      await ledger.reserveTurn({ turnId: turn(), userId: user.id, estimatePoints: 1 });
    clock.set('2026-11-22T23:59:59+09:00');
    const err = await errorOf(
      ledger.reserveTurn({ turnId: turn(), userId: user.id, estimatePoints: 1 }),
    );
    expect(err.code).toBe('USAGE_LIMIT_EXCEEDED');
    expect(err.details).toEqual({
      dailyLimit: 10,
      remaining: 0,
      resetTime: '2026-11-23T00:00:00+09:00',
    });
    expect(await ledger.getUsage(user.id)).toEqual({
      remainingCount: 0,
      dailyLimit: 10,
      resetTime: '2026-11-23T00:00:00+09:00',
      canUseChat: false,
    });

    clock.set('2026-11-23T00:00:00+09:00');
    expect(await ledger.getUsage(user.id)).toEqual({
      remainingCount: 10,
      dailyLimit: 10,
      resetTime: '2026-11-24T00:00:00+09:00',
      canUseChat: true,
    });
    await expect(
      ledger.reserveTurn({ turnId: turn(), userId: user.id, estimatePoints: 1 }),
    ).resolves.toMatchObject({ status: 'held', usage: { remainingCount: 9 } });
    expect(await usageCount(db, user.id, '2026-11-22')).toBe(10);
    expect(await usageCount(db, user.id, '2026-11-23')).toBe(1);
  });

  it('is not anchored at UTC midnight (09:00 JST does not reset)', async () => {
    const user = await userWith(1000, 'basic');
    clock.set('2026-11-23T08:59:00+09:00'); // 2026-11-22T23:59Z
    for (let i = 0; i < 10; i++)
      await ledger.reserveTurn({ turnId: turn(), userId: user.id, estimatePoints: 1 });
    clock.set('2026-11-23T09:00:00+09:00'); // 2026-11-23T00:00Z: a new UTC day, same JST day
    expect(
      await codeOf(ledger.reserveTurn({ turnId: turn(), userId: user.id, estimatePoints: 1 })),
    ).toBe('USAGE_LIMIT_EXCEEDED');
  });

  it('plan limit 0 → PLAN_RESTRICTION; unlimited (-1) never runs out', async () => {
    const noChat = await userWith(1000, 'nochat');
    const before = await snapshotOf(db, noChat.id);
    expect(
      await codeOf(ledger.reserveTurn({ turnId: turn(), userId: noChat.id, estimatePoints: 1 })),
    ).toBe('PLAN_RESTRICTION');
    expect(await snapshotOf(db, noChat.id)).toEqual(before);

    const unlimited = await userWith(1000, 'enterprise');
    for (let i = 0; i < 60; i++)
      await ledger.reserveTurn({ turnId: turn(), userId: unlimited.id, estimatePoints: 1 });
    expect(await ledger.getUsage(unlimited.id)).toMatchObject({
      remainingCount: -1,
      dailyLimit: -1,
      canUseChat: true,
    });
  });

  it('a lapsed paid period falls back to the default plan', async () => {
    const user = await newUser(db, {
      planId: 'premium',
      planPeriodEnd: new Date('2026-11-22T11:00:00+09:00'),
    });
    expect((await ledger.getUsage(user.id)).dailyLimit).toBe(catalog.plans.free?.dailyChatLimit);
  });

  it('a failed reserve does not count', async () => {
    const user = await userWith(5, 'basic');
    await codeOf(ledger.reserveTurn({ turnId: turn(), userId: user.id, estimatePoints: 6 }));
    expect(await usageCount(db, user.id, DAY)).toBe(0);
  });
});

describe('privileged users', () => {
  it('bypass limits and points; settle records the cost without charging', async () => {
    const user = await newUser(db, { planId: 'nochat' });
    await db.privilegedUser.create({ data: { lineUserId: user.lineUserId, createdBy: 'test' } });
    const turnId = turn();
    const reserved = await ledger.reserveTurn({ turnId, userId: user.id, estimatePoints: 1e6 });
    expect(reserved).toEqual({
      status: 'privileged',
      heldPoints: 0,
      usage: {
        remainingCount: -1,
        dailyLimit: -1,
        resetTime: '2026-11-23T00:00:00+09:00',
        canUseChat: true,
      },
    });
    expect(await db.pointReservation.count({ where: { userId: user.id } })).toBe(0);
    expect(await usageCount(db, user.id, DAY)).toBe(0);

    const settled = await ledger.settleTurn(settleInput(user.id, turnId, 500));
    expect(settled).toEqual({
      alreadySettled: false,
      privileged: true,
      pointsCharged: 0,
      releasedHold: 0,
      balanceAfter: 0,
    });
    expect(await db.usageRecord.count({ where: { turnId } })).toBe(2);
    expect(await db.pointLot.count({ where: { userId: user.id } })).toBe(0);
    expect(await usageCount(db, user.id, DAY)).toBe(0);
    expect(await ledger.settleTurn(settleInput(user.id, turnId, 500))).toMatchObject({
      alreadySettled: true,
    });
  });
});

describe('atomic settlement', () => {
  it('a failing callback rolls the whole settlement back', async () => {
    const user = await userWith(100);
    const turnId = turn();
    await ledger.reserveTurn({ turnId, userId: user.id, estimatePoints: 10 });
    const before = await snapshotOf(db, user.id);
    await expect(
      ledger.settleTurn(settleInput(user.id, turnId, 10), async (tx) => {
        await tx.chatArchive.create({
          data: { userId: user.id, turnId, role: 'user', content: 'q' },
        });
        throw new Error('archive failed');
      }),
    ).rejects.toThrow('archive failed');
    expect(await snapshotOf(db, user.id)).toEqual(before);
    // The retry settles normally.
    await expect(ledger.settleTurn(settleInput(user.id, turnId, 10))).resolves.toMatchObject({
      alreadySettled: false,
      pointsCharged: 10,
    });
  });
});

describe('atomic grants and adjustments (e.g. with their audit row)', () => {
  it('a failing callback rolls the grant back; the retry runs it once, seeing the balances', async () => {
    const user = await userWith(100);
    const input = {
      sourceRef: `admin:${randomUUID()}`,
      userId: user.id,
      points: 50,
      expiresAt: new Date(IN_A_YEAR),
      reason: 'admin:test',
    };
    const before = await snapshotOf(db, user.id);
    await expect(
      ledger.grantPoints(input, async () => {
        throw new Error('audit failed');
      }),
    ).rejects.toThrow('audit failed');
    expect(await snapshotOf(db, user.id)).toEqual(before);

    const seen: unknown[] = [];
    const record = async (_tx: unknown, change: unknown) => void seen.push(change);
    expect(await ledger.grantPoints(input, record)).toEqual({ granted: true, balanceAfter: 150 });
    expect(await ledger.grantPoints(input, record)).toEqual({ granted: false, balanceAfter: 150 });
    expect(seen).toEqual([{ balanceBefore: 100, balanceAfter: 150, held: 0 }]);

    const down = { sourceRef: `admin:${randomUUID()}`, userId: user.id, delta: -30, reason: 'x' };
    expect(await ledger.adjustPoints(down, record)).toEqual({ adjusted: true, balanceAfter: 120 });
    expect(await ledger.adjustPoints(down, record)).toEqual({ adjusted: false, balanceAfter: 120 });
    expect(seen).toHaveLength(2);
    expect(seen[1]).toEqual({ balanceBefore: 150, balanceAfter: 120, held: 0 });
    expect(await ledger.replayCheck(user.id)).toEqual([]);
  });
});

describe('bad input → a typed error and no row changes', () => {
  it('each case is refused with its code and leaves the tables as they were', async () => {
    const user = await userWith(100, 'basic');
    const held = turn();
    await ledger.reserveTurn({ turnId: held, userId: user.id, estimatePoints: 10 });
    const other = await userWith(100);
    const before = await snapshotOf(db, user.id);
    const otherBefore = await snapshotOf(db, other.id);
    const unknownUser = randomUUID();
    const good = settleInput(user.id, turn(), 5);
    const [inRecord, outRecord] = good.records;
    const grant = {
      sourceRef: `evt_${randomUUID()}`,
      userId: user.id,
      points: 10,
      expiresAt: IN_A_YEAR,
      reason: 'x',
    };
    const reserve = { turnId: turn(), userId: user.id, estimatePoints: 1 };
    const adjust = { sourceRef: `adm_${randomUUID()}`, userId: user.id, delta: 5, reason: 'x' };
    const anyInput = <T>(value: T) => value as never;

    const cases: [string, () => Promise<unknown>, string][] = [
      [
        'negative estimate',
        () => ledger.reserveTurn({ ...reserve, estimatePoints: -1 }),
        'INVALID_INPUT',
      ],
      [
        'NaN estimate',
        () => ledger.reserveTurn({ ...reserve, estimatePoints: NaN }),
        'INVALID_INPUT',
      ],
      [
        'fractional estimate',
        () => ledger.reserveTurn({ ...reserve, estimatePoints: 1.5 }),
        'INVALID_INPUT',
      ],
      [
        'infinite estimate',
        () => ledger.reserveTurn({ ...reserve, estimatePoints: Infinity }),
        'INVALID_INPUT',
      ],
      [
        'string estimate',
        () => ledger.reserveTurn(anyInput({ ...reserve, estimatePoints: '5' })),
        'INVALID_INPUT',
      ],
      ['empty turnId', () => ledger.reserveTurn({ ...reserve, turnId: ' ' }), 'INVALID_INPUT'],
      ['no input', () => ledger.reserveTurn(anyInput(undefined)), 'INVALID_INPUT'],
      [
        'malformed userId',
        () => ledger.reserveTurn({ ...reserve, userId: 'U123' }),
        'INVALID_INPUT',
      ],
      [
        'unknown user',
        () => ledger.reserveTurn({ ...reserve, userId: unknownUser }),
        'UNKNOWN_USER',
      ],
      [
        'turn of another user',
        () => ledger.reserveTurn({ ...reserve, turnId: held, userId: other.id }),
        'INVALID_INPUT',
      ],
      [
        'settle: unknown user',
        () => ledger.settleTurn({ ...good, userId: unknownUser }),
        'UNKNOWN_USER',
      ],
      [
        'settle: unknown model',
        () =>
          ledger.settleTurn({
            ...good,
            records: good.records.map((r) => ({ ...r, model: 'gpt-9' })),
          }),
        'UNKNOWN_MODEL',
      ],
      [
        'settle: negative points',
        () => ledger.settleTurn({ ...good, records: [{ ...inRecord!, points: -1 }] }),
        'INVALID_INPUT',
      ],
      [
        'settle: fractional points',
        () => ledger.settleTurn({ ...good, records: [{ ...inRecord!, points: 0.5 }] }),
        'INVALID_INPUT',
      ],
      [
        'settle: two "in" records',
        () => ledger.settleTurn({ ...good, records: [inRecord!, inRecord!] }),
        'INVALID_INPUT',
      ],
      ['settle: no records', () => ledger.settleTurn({ ...good, records: [] }), 'INVALID_INPUT'],
      [
        'settle: no unit price',
        () =>
          ledger.settleTurn({
            ...good,
            records: [anyInput({ ...outRecord!, dollarPerTokenText: undefined })],
          }),
        'INVALID_INPUT',
      ],
      [
        'settle: bad io type',
        () => ledger.settleTurn({ ...good, records: [anyInput({ ...inRecord!, ioType: 'both' })] }),
        'INVALID_INPUT',
      ],
      [
        'settle: no raw usage',
        () => ledger.settleTurn({ ...good, rawUsage: undefined }),
        'INVALID_INPUT',
      ],
      [
        'settle: BigInt in raw usage',
        () => ledger.settleTurn({ ...good, rawUsage: { n: 1n } }),
        'INVALID_INPUT',
      ],
      [
        'settle: turn of another user',
        () => ledger.settleTurn({ ...good, turnId: held, userId: other.id }),
        'INVALID_INPUT',
      ],
      ['grant: negative', () => ledger.grantPoints({ ...grant, points: -5 }), 'INVALID_INPUT'],
      ['grant: fractional', () => ledger.grantPoints({ ...grant, points: 2.5 }), 'INVALID_INPUT'],
      ['grant: NaN', () => ledger.grantPoints({ ...grant, points: NaN }), 'INVALID_INPUT'],
      [
        'grant: too large for a lot',
        () => ledger.grantPoints({ ...grant, points: 2 ** 31 }),
        'INVALID_INPUT',
      ],
      [
        'grant: bad expiry',
        () => ledger.grantPoints({ ...grant, expiresAt: 'soon' }),
        'INVALID_INPUT',
      ],
      [
        'grant: missing expiry',
        () => ledger.grantPoints(anyInput({ ...grant, expiresAt: undefined })),
        'INVALID_INPUT',
      ],
      [
        'grant: past expiry',
        () => ledger.grantPoints({ ...grant, expiresAt: '2020-01-01T00:00:00Z' }),
        'INVALID_INPUT',
      ],
      ['grant: empty reason', () => ledger.grantPoints({ ...grant, reason: '' }), 'INVALID_INPUT'],
      [
        'grant: unknown user',
        () => ledger.grantPoints({ ...grant, userId: unknownUser }),
        'UNKNOWN_USER',
      ],
      ['adjust: zero', () => ledger.adjustPoints({ ...adjust, delta: 0 }), 'INVALID_INPUT'],
      [
        'adjust: fractional',
        () => ledger.adjustPoints({ ...adjust, delta: -0.5 }),
        'INVALID_INPUT',
      ],
      ['release: empty turnId', () => ledger.releaseTurn({ turnId: '' }), 'INVALID_INPUT'],
      [
        'release: turn of another user',
        () => ledger.releaseTurn({ turnId: held, userId: other.id }),
        'INVALID_INPUT',
      ],
      ['usage: unknown user', () => ledger.getUsage(unknownUser), 'UNKNOWN_USER'],
      ['balance: malformed user', () => ledger.getBalance('nope'), 'INVALID_INPUT'],
    ];
    const failures: string[] = [];
    for (const [name, call, code] of cases) {
      const got = await codeOf(call()).catch((e: unknown) => `threw ${String(e)}`);
      if (got !== code) failures.push(`${name}: expected ${code}, got ${got}`);
    }
    expect(failures).toEqual([]);
    expect(await snapshotOf(db, user.id)).toEqual(before);
    expect(await snapshotOf(db, other.id)).toEqual(otherBefore);
    expect(await db.pointGrant.count({ where: { sourceRef: grant.sourceRef } })).toBe(0);
  });

  it('a plan missing from the catalog is refused, naming it', async () => {
    const user = await newUser(db, { planId: 'gold' });
    const err = await errorOf(
      ledger.reserveTurn({ turnId: turn(), userId: user.id, estimatePoints: 0 }),
    );
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.details).toMatchObject({ field: 'planId', planId: 'gold' });
  });

  it('an unfollowed (soft-deleted) user cannot start a turn', async () => {
    const user = await userWith(100);
    await db.user.update({ where: { id: user.id }, data: { deletedAt: clock.now() } });
    expect(
      await codeOf(ledger.reserveTurn({ turnId: turn(), userId: user.id, estimatePoints: 1 })),
    ).toBe('UNKNOWN_USER');
  });
});

describe('records', () => {
  it('a search call writes in, out and search records with their rates', async () => {
    const user = await userWith(1000);
    const tier = catalog.modelTiers.search;
    if (!tier) throw new Error('catalog has no search tier');
    const { priceUsage } = await import('../../domain/pricing');
    const priced = priceUsage({
      tier,
      rates: catalog.rates,
      inputTokens: 1200,
      outputTokens: 300,
      searchCount: 1,
    });
    const turnId = turn();
    const result = await ledger.settleTurn({
      turnId,
      userId: user.id,
      records: priced.records,
      rawUsage: { prompt_tokens: 1200, completion_tokens: 300 },
      metadata: { model: tier.model },
    });
    expect(result.pointsCharged).toBe(priced.points);
    const rows = await db.usageRecord.findMany({ where: { turnId }, orderBy: { ioType: 'asc' } });
    expect(rows.map((r) => r.ioType)).toEqual(['in', 'out', 'search']);
    const search = rows.find((r) => r.ioType === 'search');
    expect(search?.searchCount).toBe(1);
    expect(search?.dollarPerSearch?.toString()).toBe('0.035');
    expect(search?.yenPerDollar.toString()).toBe('150');
    expect(rows.reduce((s, r) => s + r.points, 0)).toBe(priced.points);
    expect(recordsCosting(3, 4).reduce((s, r) => s + r.points, 0)).toBe(7);
  });

  it('grant expiry can be a Date, an ISO string or null (never)', async () => {
    const user = await newUser(db);
    const base = { userId: user.id, points: 1, reason: 'x' };
    await ledger.grantPoints({ ...base, sourceRef: `a-${randomUUID()}`, expiresAt: null });
    await ledger.grantPoints({
      ...base,
      sourceRef: `b-${randomUUID()}`,
      expiresAt: addDays(clock.now(), 30),
    });
    expect((await ledger.getBalance(user.id)).lots).toEqual([
      { amount: 1, expiresAt: '2026-12-22T03:00:00.000Z' },
      { amount: 1, expiresAt: null },
    ]);
  });
});
