import { randomUUID } from 'node:crypto';
import type { AppConfig } from '../../config';
import { createLedger, type Ledger } from '../../ledger';
import type { Db } from '../../lib/db';
import { makeLineUserId } from '../../stand-ins';

export function testLedger(db: Db, config: AppConfig): Ledger {
  return createLedger({ db, catalog: config.catalog, timeZone: config.env.TIME_ZONE });
}

/** A user with a fresh LINE ID, a plan and optionally a point lot. */
export async function createTestUser(
  db: Db,
  ledger: Ledger,
  options: { points?: number; planId?: string; expiresInDays?: number } = {},
) {
  const lineUserId = makeLineUserId(randomUUID());
  const user = await db.user.create({ data: { lineUserId, planId: options.planId ?? 'free' } });
  if (options.points) {
    await ledger.grantPoints({
      sourceRef: `test:${randomUUID()}`,
      userId: user.id,
      points: options.points,
      expiresAt: new Date(Date.now() + (options.expiresInDays ?? 30) * 86_400_000),
      reason: 'test',
    });
  }
  return user;
}
