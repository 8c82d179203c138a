import { createHash } from 'node:crypto';
import type { Db, User } from '../lib/db';

/**
 * A user is created on first contact (follow or first message). Concurrent first contacts race
 * on the unique LINE user ID; the loser reads the winner's row.
 */
export async function findOrCreateUser(db: Db, lineUserId: string): Promise<User> {
  const existing = await db.user.findUnique({ where: { lineUserId } });
  if (existing) return existing;
  return db.user.upsert({ where: { lineUserId }, create: { lineUserId }, update: {} });
}

/** What the sign-up record keeps of a LINE user ID: its SHA-256, never the ID itself. */
export function lineUserIdHash(lineUserId: string): string {
  return createHash('sha256').update(`line-user:${lineUserId}`).digest('hex');
}

/**
 * Sign-up points once per LINE user ID, ever: true when `userId` may have them. The record
 * (signup_points_records) outlives the user's purge, so unfollow, purge and follow again finds
 * it and grants nothing; the same user finding its own record (a retried grant) goes on, the
 * ledger's `signup:<userId>` source making that grant once.
 */
export async function claimSignupPoints(
  db: Db,
  user: { id: string; lineUserId: string },
): Promise<boolean> {
  const hash = lineUserIdHash(user.lineUserId);
  await db.signupPointsRecord.createMany({
    data: [{ lineUserIdHash: hash, userId: user.id }],
    skipDuplicates: true,
  });
  const record = await db.signupPointsRecord.findUnique({
    where: { lineUserIdHash: hash },
    select: { userId: true },
  });
  return record?.userId === user.id;
}
