import { createFollowActivities } from '../../activities/follow';

import type { Db } from '../../lib/db';
import { createLogger } from '../../lib/logger';
import { lineUserIdHash } from '../../services/users';
import { makeLineUserId } from '../../stand-ins';
import { testLedger } from '../support/users';
import { config, newDb } from './ledger-fixtures';

/**
 * Issue #13: sign-up points once per LINE user ID, ever. Unfollow, the retention purge of the
 * user (its row and everything it owns) and a new follow grant nothing again.
 */
describe('sign-up points once per LINE user ID', () => {
  let db: Db;
  beforeAll(() => {
    db = newDb(4);
  });
  afterAll(async () => {
    await db.$disconnect();
  });

  it('are not granted again after unfollow + purge', async () => {
    const ledger = testLedger(db, config);
    const follow = createFollowActivities({
      config,
      db,
      ledger,
      clock: { now: () => new Date() },
      logger: createLogger('silent'),
    });
    const lineUserId = makeLineUserId();
    const first = await follow.registerFollower(lineUserId);
    expect(first.signupGranted).toBe(config.catalog.signupPoints.points > 0);
    // A retried activity of the same user goes on (and the ledger grants once).
    expect((await follow.registerFollower(lineUserId)).signupGranted).toBe(false);

    await follow.markUnfollowed(lineUserId);
    // The retention purge of deleted users: the row goes, and everything it owns with it.
    await db.user.delete({ where: { lineUserId } });
    const record = await db.signupPointsRecord.findUnique({
      where: { lineUserIdHash: lineUserIdHash(lineUserId) },
    });
    expect(record).toMatchObject({ userId: null });
    // Only the hash is kept, never the LINE user ID.
    expect(JSON.stringify(record)).not.toContain(lineUserId);

    const again = await follow.registerFollower(lineUserId);
    expect(again.userId).not.toBe(first.userId);
    expect(again.signupGranted).toBe(false);
    expect((await ledger.getBalance(again.userId)).balance).toBe(0);
  });
});
