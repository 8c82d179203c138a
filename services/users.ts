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
