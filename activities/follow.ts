import type { AppConfig } from '../config';
import { addDays, type Clock } from '../domain/clock';
import type { Db } from '../lib/db';
import type { Logger } from '../lib/logger';
import { claimSignupPoints, findOrCreateUser } from '../services/users';

export interface FollowLedger {
  grantPoints(input: {
    sourceRef: string;
    userId: string;
    points: number;
    expiresAt: Date | null;
    reason: string;
  }): Promise<{ granted: boolean }>;
}

export interface FollowDeps {
  config: AppConfig;
  db: Db;
  ledger: FollowLedger;
  clock: Clock;
  logger: Logger;
}

export function createFollowActivities({ config, db, ledger, clock, logger }: FollowDeps) {
  return {
    /**
     * Follow: create (or restore) the user and grant the sign-up points once per LINE user ID,
     * ever: the grant's source is the user, so unfollow + follow again grants nothing new, and
     * the sign-up record outlives the user's purge, so follow after a purge grants nothing.
     */
    async registerFollower(
      lineUserId: string,
    ): Promise<{ userId: string; signupGranted: boolean; welcome: string[] }> {
      const user = await findOrCreateUser(db, lineUserId);
      if (user.deletedAt) {
        await db.user.update({ where: { id: user.id }, data: { deletedAt: null } });
      }
      const { points, expiresInDays } = config.catalog.signupPoints;
      let signupGranted = false;
      // Once per LINE user ID, ever (services/users.ts): not again after unfollow + purge.
      if (points > 0 && (await claimSignupPoints(db, user))) {
        const result = await ledger.grantPoints({
          sourceRef: `signup:${user.id}`,
          userId: user.id,
          points,
          expiresAt: addDays(clock.now(), expiresInDays),
          reason: 'signup',
        });
        signupGranted = result.granted;
      }
      logger.info({ userId: user.id, signupGranted }, 'follower registered');
      return { userId: user.id, signupGranted, welcome: [config.catalog.messages.welcome] };
    },

    /** Unfollow: soft delete; the retention schedule purges the data later. */
    async markUnfollowed(lineUserId: string): Promise<void> {
      await db.user.updateMany({
        where: { lineUserId, deletedAt: null },
        data: { deletedAt: clock.now() },
      });
    },
  };
}

export type FollowActivities = ReturnType<typeof createFollowActivities>;
