import { randomUUID } from 'node:crypto';
import { fixedClock } from '../../domain/clock';
import { BusinessError } from '../../domain/errors';
import type { Ledger } from '../../ledger/store';
import type { Db } from '../../lib/db';
import {
  heldRows,
  ledgerFor,
  newDb,
  newUser,
  settleInput,
  turn,
  usageCount,
  userWithPoints,
} from './ledger-fixtures';

/**
 * The ledger under concurrent calls for ONE user from several "worker processes": three
 * PrismaClient instances, each with its own connection pool, stand in for three workers. Each
 * test is a bug that LLM gateways with budgets have had (NOTES.md "Peers"): concurrent
 * overspend, leaked reservations causing false "over budget", double counting on retry, and a
 * daily limit that concurrent turns can exceed.
 */

const POOLS = 3;
const clock = fixedClock('2026-11-22T12:00:00+09:00');
const DAY = '2026-11-22';
const IN_A_YEAR = '2027-11-22T00:00:00Z';

let pools: Db[];
let ledgers: Ledger[];

beforeAll(() => {
  pools = Array.from({ length: POOLS }, () => newDb(10));
  ledgers = pools.map((db) => ledgerFor(db, clock));
});
afterAll(async () => {
  await Promise.all(pools.map((db) => db.$disconnect()));
});

/** The ledger of "worker" i (round robin over the pools). */
const worker = (i: number): Ledger => ledgers[i % POOLS] as Ledger;
const db = (): Db => pools[0] as Db;

const userWith = (points: number, planId: string) =>
  userWithPoints(db(), worker(0), points, planId);

/** Settles every promise; returns the successes and the error codes. */
async function outcomes<T>(promises: Promise<T>[]) {
  const results = await Promise.allSettled(promises);
  const ok = results.filter((r) => r.status === 'fulfilled').map((r) => r.value);
  const codes = results
    .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    .map((r) => (r.reason instanceof BusinessError ? r.reason.code : String(r.reason)));
  return { ok, codes };
}

it('100 concurrent reserve/settle pairs on a balance covering 10: exactly 10 succeed', async () => {
  const COST = 7;
  const user = await userWith(10 * COST, 'enterprise');
  const pair = async (i: number) => {
    const turnId = turn(`pair${i}`);
    await worker(i).reserveTurn({ turnId, userId: user.id, estimatePoints: COST });
    return worker(i + 1).settleTurn(settleInput(user.id, turnId, COST));
  };
  const { ok, codes } = await outcomes(Array.from({ length: 100 }, (_, i) => pair(i)));

  expect(ok).toHaveLength(10);
  expect(codes).toEqual(Array(90).fill('INSUFFICIENT_POINTS'));
  expect(ok.every((r) => r.pointsCharged === COST && !r.alreadySettled)).toBe(true);
  const balance = await worker(2).getBalance(user.id);
  expect(balance).toEqual({ balance: 0, held: 0, lots: [] });
  expect(await db().pointLot.count({ where: { userId: user.id } })).toBe(0); // never negative
  expect(await heldRows(db(), user.id)).toBe(0);
  expect(await db().openaiUsage.count({ where: { userId: user.id } })).toBe(10);
  expect(await usageCount(db(), user.id, DAY)).toBe(10);
  expect(await worker(1).replayCheck(user.id)).toEqual([]);
});

it('basic plan (10/day): 30 concurrent reserves take exactly 10 slots', async () => {
  const user = await userWith(10_000, 'basic');
  const { ok, codes } = await outcomes(
    Array.from({ length: 30 }, (_, i) =>
      worker(i).reserveTurn({ turnId: turn(), userId: user.id, estimatePoints: 1 }),
    ),
  );
  expect(ok).toHaveLength(10);
  expect(codes).toEqual(Array(20).fill('USAGE_LIMIT_EXCEEDED'));
  expect(ok.map((r) => r.usage.remainingCount).sort((a, b) => a - b)).toEqual([
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
  ]);
  expect(await usageCount(db(), user.id, DAY)).toBe(10);
  expect(await heldRows(db(), user.id)).toBe(10);
  expect(await worker(1).getUsage(user.id)).toMatchObject({
    remainingCount: 0,
    canUseChat: false,
  });
});

it('50 concurrent holds then 50 concurrent releases: nothing leaks', async () => {
  const user = await userWith(50 * 3, 'enterprise');
  const turnIds = Array.from({ length: 50 }, () => turn());
  await Promise.all(
    turnIds.map((turnId, i) =>
      worker(i).reserveTurn({ turnId, userId: user.id, estimatePoints: 3 }),
    ),
  );
  expect(await worker(0).getBalance(user.id)).toMatchObject({ balance: 0, held: 150 });
  // Every release twice, from different workers, all at once.
  const releases = await Promise.all(
    [...turnIds, ...turnIds].map((turnId, i) => worker(i).releaseTurn({ turnId })),
  );
  expect(releases.filter((r) => r.released)).toHaveLength(50);
  expect(await worker(0).getBalance(user.id)).toMatchObject({ balance: 150, held: 0 });
  expect(await usageCount(db(), user.id, DAY)).toBe(0);
  // The full balance is usable again at once.
  await expect(
    worker(2).reserveTurn({ turnId: turn(), userId: user.id, estimatePoints: 150 }),
  ).resolves.toMatchObject({ status: 'held' });
});

it('retries racing each other are counted once (reserve, settle, grant)', async () => {
  const user = await userWith(1000, 'basic');
  const turnId = turn();
  const reserves = await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      worker(i).reserveTurn({ turnId, userId: user.id, estimatePoints: 20 }),
    ),
  );
  expect(new Set(reserves.map((r) => JSON.stringify(r))).size).toBe(1);
  expect(await heldRows(db(), user.id)).toBe(1);
  expect(await usageCount(db(), user.id, DAY)).toBe(1);

  let callbackRuns = 0;
  const settles = await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      worker(i).settleTurn(settleInput(user.id, turnId, 25), async () => {
        callbackRuns += 1;
      }),
    ),
  );
  expect(settles.filter((s) => !s.alreadySettled)).toHaveLength(1);
  expect(settles.every((s) => s.pointsCharged === 25)).toBe(true);
  expect(callbackRuns).toBe(1);
  expect(await db().usageRecord.count({ where: { turnId } })).toBe(2);
  expect(await db().openaiUsage.count({ where: { turnId } })).toBe(1);

  const sourceRef = `evt_${randomUUID()}`;
  const grants = await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      worker(i).grantPoints({
        sourceRef,
        userId: user.id,
        points: 100,
        expiresAt: IN_A_YEAR,
        reason: 'purchase',
      }),
    ),
  );
  expect(grants.filter((g) => g.granted)).toHaveLength(1);
  expect(await worker(0).getBalance(user.id)).toMatchObject({ balance: 1000 - 25 + 100, held: 0 });
  expect(await usageCount(db(), user.id, DAY)).toBe(1);
  expect(await worker(1).replayCheck(user.id)).toEqual([]);
});

it('a mixed storm of grants, overdrafts and settlements keeps the log equal to the lots', async () => {
  const user = await newUser(db(), { planId: 'enterprise' });
  let granted = 0;
  let charged = 0;
  const ops: Promise<unknown>[] = [];
  for (let i = 0; i < 60; i++) {
    if (i % 3 === 0) {
      const points = 5 + (i % 7);
      granted += points;
      ops.push(
        worker(i).grantPoints({
          sourceRef: `evt_${randomUUID()}`,
          userId: user.id,
          points,
          expiresAt: i % 2 ? IN_A_YEAR : null,
          reason: 'storm',
        }),
      );
    } else {
      const cost = 1 + (i % 5);
      charged += cost;
      // Settled without a hold, so overdraft and offsetting both happen.
      ops.push(worker(i).settleTurn(settleInput(user.id, turn(), cost)));
    }
  }
  await Promise.all(ops);
  const lots = await db().pointLot.findMany({ where: { userId: user.id } });
  expect(lots.reduce((s, l) => s + l.amount, 0)).toBe(granted - charged);
  expect(lots.filter((l) => l.amount < 0).length).toBeLessThanOrEqual(1);
  expect(await worker(2).replayCheck(user.id)).toEqual([]);
});
