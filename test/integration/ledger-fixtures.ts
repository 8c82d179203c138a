import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../config';
import type { Catalog, ModelTier } from '../../config/catalog';
import type { Clock } from '../../domain/clock';
import { BusinessError, type ErrorCode } from '../../domain/errors';
import { priceUsage, type UsageRecord } from '../../domain/pricing';
import { createLedger, type Ledger } from '../../ledger/store';
import { createPrisma, type Db } from '../../lib/db';

/**
 * Shared helpers of the ledger integration suites. Every test makes its own users (random LINE
 * user IDs) so the suites can share the database with the other suites running in parallel.
 */

export const config = loadConfig(process.env);

export function databaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set: run through jest (global setup)');
  return url;
}

export function newDb(max = 10): Db {
  return createPrisma(databaseUrl(), { max });
}

/** The catalog plus a plan that may not chat at all (seed 004 `free: 0`). */
export const catalog: Catalog = {
  ...config.catalog,
  plans: {
    ...config.catalog.plans,
    nochat: { name: 'No chat', dailyChatLimit: 0, modelTier: 'small' },
  },
};

export const TIME_ZONE = 'Asia/Tokyo';

/** A clock the test moves by hand. */
export class ManualClock implements Clock {
  private ms: number;
  constructor(at: string | Date) {
    this.ms = new Date(at).getTime();
  }
  now(): Date {
    return new Date(this.ms);
  }
  set(at: string | Date): void {
    this.ms = new Date(at).getTime();
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

export function ledgerFor(db: Db, clock?: Clock): Ledger {
  return createLedger({ db, catalog, timeZone: TIME_ZONE, clock });
}

export async function newUser(
  db: Db,
  data: { planId?: string; planPeriodEnd?: Date } = {},
): Promise<{ id: string; lineUserId: string }> {
  const lineUserId = `Uledgertest${randomUUID().replace(/-/g, '')}`;
  return db.user.create({
    data: { lineUserId, planId: data.planId ?? 'enterprise', planPeriodEnd: data.planPeriodEnd },
    select: { id: true, lineUserId: true },
  });
}

/** A new user on `planId` holding one lot of `points` (if any) that expires a year after 2026-11-22. */
export async function userWithPoints(
  db: Db,
  ledger: Pick<Ledger, 'grantPoints'>,
  points: number,
  planId = 'enterprise',
): Promise<{ id: string; lineUserId: string }> {
  const user = await newUser(db, { planId });
  if (points > 0)
    await ledger.grantPoints({
      sourceRef: `seed-${randomUUID()}`,
      userId: user.id,
      points,
      expiresAt: '2027-11-22T00:00:00Z',
      reason: 'test',
    });
  return user;
}

/**
 * A tier of a catalog model whose price makes one token cost exactly one point (¥100/$,
 * 1 point/¥, $0.01 per token), so tests can ask for exact costs.
 */
export const POINT_PER_TOKEN_TIER: ModelTier = {
  ...(config.catalog.modelTiers.frontier as ModelTier),
  dollarPerMillionInputTokens: 10_000,
  dollarPerMillionOutputTokens: 10_000,
};
const ONE_POINT_RATES = { yenPerDollar: 100, pointsPerYen: 1 };

/** Usage records costing exactly `inPoints + outPoints` points. */
export function recordsCosting(inPoints: number, outPoints = 0): UsageRecord[] {
  const priced = priceUsage({
    tier: POINT_PER_TOKEN_TIER,
    rates: ONE_POINT_RATES,
    inputTokens: inPoints,
    outputTokens: outPoints,
  });
  if (priced.points !== inPoints + outPoints) throw new Error('test pricing is off');
  return priced.records;
}

export function settleInput(userId: string, turnId: string, cost: number) {
  return {
    turnId,
    userId,
    records: recordsCosting(cost),
    rawUsage: { prompt_tokens: cost, completion_tokens: 0, total_tokens: cost },
    metadata: { model: POINT_PER_TOKEN_TIER.model, tier: 'frontier', workflowId: turnId },
  };
}

/** The error code a promise rejects with (fails the test if it resolves). */
export async function codeOf(promise: Promise<unknown>): Promise<ErrorCode> {
  const err = await promise.then(
    () => {
      throw new Error('expected a BusinessError, got a result');
    },
    (e: unknown) => e,
  );
  if (!(err instanceof BusinessError)) throw err;
  return err.code;
}

export async function errorOf(promise: Promise<unknown>): Promise<BusinessError> {
  const err = await promise.then(
    () => {
      throw new Error('expected a BusinessError, got a result');
    },
    (e: unknown) => e,
  );
  if (!(err instanceof BusinessError)) throw err;
  return err;
}

const USER_TABLES = [
  'point_lots',
  'point_ledger_logs',
  'point_reservations',
  'point_grants',
  'usage_records',
  'openai_usages',
  'ai_chat_usage_logs',
  'chat_archives',
] as const;

/** Every row of the user in the ledger's tables, plus the user row: compare before/after. */
export async function snapshotOf(db: Db, userId: string): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const table of ['users', ...USER_TABLES]) {
    const column = table === 'users' ? 'id' : 'user_id';
    out[table] = await db.$queryRawUnsafe<unknown[]>(
      `SELECT row_to_json(t)::text AS row FROM ${table} t WHERE ${column} = $1::uuid ORDER BY 1`,
      userId,
    );
  }
  return out;
}

export async function usageCount(db: Db, userId: string, day: string): Promise<number> {
  const rows = await db.$queryRaw<{ n: number }[]>`
    SELECT usage_count AS n FROM ai_chat_usage_logs
    WHERE user_id = ${userId}::uuid AND usage_date = ${day}::date`;
  return rows[0]?.n ?? 0;
}

export async function heldRows(db: Db, userId: string): Promise<number> {
  return db.pointReservation.count({ where: { userId, status: 'held' } });
}

export function turn(label = 'turn'): string {
  return `${label}-${randomUUID()}`;
}
