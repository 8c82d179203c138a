import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import type { AppConfig } from '../../config';
import type { Clock } from '../../domain/clock';
import { priceUsage } from '../../domain/pricing';
import { createLedger, type Ledger } from '../../ledger';
import { createPrisma, type Db } from '../../lib/db';
import { REDACTED_PATHS } from '../../lib/logger';
import {
  createDatabase,
  dropDatabase,
  migrateDatabase,
  newTestDatabaseName,
} from '../../scripts/infra/postgres';
import { makeLineUserId } from '../../stand-ins';

/** Shared helpers of the user/admin API, metrics and retention tests. */

export { lineIdToken } from '../support/line-login';

/**
 * A private, migrated database for tests whose effects are global (a purge run "in the
 * future", gauges counting every row): the shared test database is used by other test files
 * in parallel.
 */
export async function isolatedDatabase(): Promise<{ url: string; db: Db; drop(): Promise<void> }> {
  const name = newTestDatabaseName();
  const url = await createDatabase(name);
  await migrateDatabase(url);
  const db = createPrisma(url);
  return {
    url,
    db,
    async drop() {
      await db.$disconnect();
      await dropDatabase(name);
    },
  };
}

/** A pino logger configured like lib/logger.ts (same redaction), at trace, into memory. */
export function capturingLogger(name: string): { logger: Logger; text(): string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const logger = pino(
    { name, level: 'trace', redact: { paths: REDACTED_PATHS, censor: '[redacted]' } },
    stream,
  );
  return { logger, text: () => chunks.join('') };
}

export function ledgerAt(db: Db, config: AppConfig, clock?: Clock): Ledger {
  return createLedger({ db, catalog: config.catalog, timeZone: config.env.TIME_ZONE, clock });
}

/** Settles a chat turn priced like the chat activity does (no hold needed). */
export async function settleTurnOf(
  ledger: Ledger,
  config: AppConfig,
  input: {
    userId: string;
    turnId?: string;
    tier?: string;
    inputTokens?: number;
    outputTokens?: number;
  },
) {
  const tier = config.catalog.modelTiers[input.tier ?? 'small']!;
  const priced = priceUsage({
    tier,
    rates: config.catalog.rates,
    inputTokens: input.inputTokens ?? 1200,
    outputTokens: input.outputTokens ?? 800,
  });
  const turnId = input.turnId ?? `chat-${randomUUID()}`;
  const result = await ledger.settleTurn({
    turnId,
    userId: input.userId,
    records: priced.records,
    rawUsage: { prompt_tokens: input.inputTokens ?? 1200 },
    metadata: { model: tier.model },
  });
  return { turnId, priced, result, model: tier.model };
}

export async function newUser(
  db: Db,
  data: { planId?: string; deletedAt?: Date; createdAt?: Date } = {},
) {
  return db.user.create({ data: { lineUserId: makeLineUserId(), ...data } });
}

/** Parses Prometheus text: `name{labels}` → value. */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^(\S+?(?:\{.*\})?)\s+(\S+)$/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}
