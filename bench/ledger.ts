import { randomUUID } from 'node:crypto';
import { loadCatalog } from '../config/catalog';
import { DEFAULT_TIME_ZONE } from '../domain/daily-limit';
import { estimateInputPoints, priceUsage } from '../domain/pricing';
import { createLedger, type Ledger } from '../ledger/store';
import { createPrisma, type Db } from '../lib/db';
import { printTable, writeJson, type Row } from './lib/report';
import { withScratchDatabase } from './lib/scratch-db';
import { msSince, summarize, type LatencySummary } from './lib/stats';

/**
 * Ledger benchmark: reserve + settle pairs (one chat turn's ledger work) per second, with
 * latencies, on a scratch PostgreSQL database.
 *
 *   node --import tsx bench/ledger.ts      (DATABASE_URL = any URL on the server to use)
 *
 * Three PrismaClient instances (10 connections each) stand in for three worker processes.
 * Scenarios: one user with one turn at a time (bare latency), one user with 16 turns in flight
 * (they queue on the user's row lock: the worst case), 50 users with one turn each in flight
 * (the normal case: no contention). Each is bounded by PAIRS pairs or SECONDS seconds. The
 * ledger is then checked: every user's log replays to its lots, no hold is left, and the points
 * charged equal the points the turns cost.
 */

const PAIRS = Number(process.env.BENCH_PAIRS ?? 2000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const POOLS = 3;
const POOL_SIZE = 10;

const catalog = loadCatalog(process.env.CATALOG_FILE || undefined);
const tier = catalog.modelTiers.frontier;
if (!tier) throw new Error('the catalog has no frontier tier');
// A typical turn: ~500 prompt tokens, ~200 answer tokens.
const estimate = estimateInputPoints(tier, catalog.rates, 500);
const priced = priceUsage({ tier, rates: catalog.rates, inputTokens: 500, outputTokens: 200 });

interface Scenario {
  name: string;
  users: number;
  inFlight: number;
}

const SCENARIOS: Scenario[] = [
  { name: '1 user, 1 in flight', users: 1, inFlight: 1 },
  { name: '1 user, 16 in flight', users: 1, inFlight: 16 },
  { name: '50 users, 50 in flight', users: 50, inFlight: 50 },
];

interface ScenarioResult {
  scenario: string;
  users: number;
  inFlight: number;
  pairs: number;
  errors: number;
  seconds: number;
  pairsPerSecond: number;
  pair: LatencySummary;
  reserve: LatencySummary;
  settle: LatencySummary;
}

async function runScenario(
  s: Scenario,
  ledgers: Ledger[],
  users: string[],
): Promise<ScenarioResult> {
  const pairMs: number[] = [];
  const reserveMs: number[] = [];
  const settleMs: number[] = [];
  let started = 0;
  let errors = 0;
  const t0 = process.hrtime.bigint();
  const deadline = Date.now() + SECONDS * 1000;

  async function loop(worker: number): Promise<void> {
    const userId = users[worker % users.length] as string;
    while (started < PAIRS && Date.now() < deadline) {
      started += 1;
      const turnId = `bench-${randomUUID()}`;
      // The two halves of a turn usually run on different workers.
      const reserveOn = ledgers[started % ledgers.length] as Ledger;
      const settleOn = ledgers[(started + 1) % ledgers.length] as Ledger;
      try {
        const a = process.hrtime.bigint();
        await reserveOn.reserveTurn({ turnId, userId, estimatePoints: estimate });
        const b = process.hrtime.bigint();
        reserveMs.push(Number(b - a) / 1e6);
        await settleOn.settleTurn({
          turnId,
          userId,
          records: priced.records,
          rawUsage: { prompt_tokens: 500, completion_tokens: 200, total_tokens: 700 },
          metadata: { model: tier?.model, tier: 'frontier', workflowId: turnId },
        });
        settleMs.push(msSince(b));
        pairMs.push(msSince(a));
      } catch (err) {
        errors += 1;
        if (errors <= 3) process.stderr.write(`pair failed: ${(err as Error).message}\n`);
      }
    }
  }

  await Promise.all(Array.from({ length: s.inFlight }, (_, i) => loop(i)));
  const seconds = msSince(t0) / 1000;
  return {
    scenario: s.name,
    users: s.users,
    inFlight: s.inFlight,
    pairs: pairMs.length,
    errors,
    seconds: Math.round(seconds * 100) / 100,
    pairsPerSecond: Math.round(pairMs.length / seconds),
    pair: summarize(pairMs),
    reserve: summarize(reserveMs),
    settle: summarize(settleMs),
  };
}

async function makeUsers(db: Db, ledger: Ledger, n: number, label: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const user = await db.user.create({
      data: { lineUserId: `Ubench${label}${i}${randomUUID().slice(0, 8)}`, planId: 'enterprise' },
    });
    await ledger.grantPoints({
      sourceRef: `bench-grant-${user.id}`,
      userId: user.id,
      points: 1_000_000_000,
      expiresAt: null,
      reason: 'benchmark',
    });
    ids.push(user.id);
  }
  return ids;
}

/** Replays every user's log and checks holds and conservation; returns the problems found. */
async function verify(db: Db, ledger: Ledger, users: string[]): Promise<string[]> {
  const problems: string[] = [];
  for (const userId of users) {
    for (const line of await ledger.replayCheck(userId)) problems.push(`${userId}: ${line}`);
    const held = await db.pointReservation.count({ where: { userId, status: 'held' } });
    if (held > 0) problems.push(`${userId}: ${held} hold(s) left`);
    const [lots, charged, cost] = await Promise.all([
      db.pointLot.aggregate({ where: { userId }, _sum: { amount: true } }),
      db.pointLedgerLog.aggregate({ where: { userId, reason: 'charge' }, _sum: { delta: true } }),
      db.usageRecord.aggregate({ where: { userId }, _sum: { points: true } }),
    ]);
    const total = lots._sum.amount ?? 0;
    const spent = -(charged._sum.delta ?? 0);
    if (spent !== (cost._sum.points ?? 0))
      problems.push(`${userId}: charged ${spent}, records cost ${cost._sum.points}`);
    if (total !== 1_000_000_000 - spent)
      problems.push(`${userId}: lots hold ${total}, expected ${1_000_000_000 - spent}`);
  }
  return problems;
}

async function main(): Promise<void> {
  await withScratchDatabase('ledger', async (url) => {
    const pools = Array.from({ length: POOLS }, () => createPrisma(url, { max: POOL_SIZE }));
    const timeZone = process.env.TIME_ZONE || DEFAULT_TIME_ZONE;
    const ledgers = pools.map((db) => createLedger({ db, catalog, timeZone }));
    const db = pools[0] as Db;
    const ledger = ledgers[0] as Ledger;
    try {
      const results: ScenarioResult[] = [];
      const allUsers: string[] = [];
      for (const [i, s] of SCENARIOS.entries()) {
        const users = await makeUsers(db, ledger, s.users, `s${i}u`);
        allUsers.push(...users);
        process.stderr.write(`running: ${s.name} ...\n`);
        results.push(await runScenario(s, ledgers, users));
      }
      const problems = await verify(db, ledger, allUsers);

      const rows: Row[] = results.map((r) => ({
        scenario: r.scenario,
        pairs: r.pairs,
        errors: r.errors,
        seconds: r.seconds,
        'pairs/s': r.pairsPerSecond,
        'pair p50 ms': r.pair.p50,
        'pair p99 ms': r.pair.p99,
        'reserve p50': r.reserve.p50,
        'settle p50': r.settle.p50,
      }));
      process.stdout.write(
        `\nLedger: reserve + settle pairs (${POOLS} pools × ${POOL_SIZE} connections, ` +
          `≤ ${PAIRS} pairs or ${SECONDS} s per scenario, ${priced.points} points per turn)\n\n`,
      );
      printTable(rows);
      process.stdout.write(
        `\nreplay check: ${allUsers.length} users, ${problems.length} discrepancies\n`,
      );
      for (const p of problems.slice(0, 20)) process.stdout.write(`  ${p}\n`);
      const file = writeJson('ledger', {
        settings: { pairs: PAIRS, seconds: SECONDS, pools: POOLS, poolSize: POOL_SIZE },
        pointsPerTurn: priced.points,
        estimatePerTurn: estimate,
        scenarios: results,
        replay: { users: allUsers.length, discrepancies: problems.length, problems },
      });
      process.stdout.write(`results: ${file}\n`);
      if (problems.length > 0 || results.some((r) => r.errors > 0)) process.exitCode = 1;
    } finally {
      await Promise.all(pools.map((p) => p.$disconnect()));
    }
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
