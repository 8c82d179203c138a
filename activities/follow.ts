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

/** The LINE profile look-up (messagingApi.MessagingApiClient.getProfile). */
export interface LineProfiles {
  getProfile(lineUserId: string): Promise<{ displayName: string }>;
}

export interface FollowDeps {
  config: AppConfig;
  /** Reads the display name the operator console searches; absent = not read. */
  profiles?: LineProfiles;
  db: Db;
  ledger: FollowLedger;
  clock: Clock;
  logger: Logger;
}

const MAX_DISPLAY_NAME = 200;

export function createFollowActivities(deps: FollowDeps) {
  const { config, db, ledger, clock, logger } = deps;

  /**
   * Best effort: a profile LINE cannot give now (blocked, outage) leaves the name unknown and the
   * follow goes on. The name is personal data, so it is never logged.
   */
  async function rememberDisplayName(user: { id: string; lineUserId: string }): Promise<void> {
    if (!deps.profiles) return;
    try {
      const { displayName } = await deps.profiles.getProfile(user.lineUserId);
      const name = displayName?.trim().slice(0, MAX_DISPLAY_NAME);
      if (name) await db.user.update({ where: { id: user.id }, data: { displayName: name } });
    } catch (err) {
      logger.warn(
        { userId: user.id, status: (err as { status?: number }).status ?? null },
        'LINE profile not read; display name left unknown',
      );
    }
  }

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
      await rememberDisplayName(user);
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
