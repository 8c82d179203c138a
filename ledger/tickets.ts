import { refundSourceRef } from '../domain/stamp-keys';
import type { Db, Tx } from '../lib/db';
import { lockUser } from './users';

/**
 * Stamp tickets (seed 001 `line_stamp_tickets`, `line_stamp_ticket_consumptions`): one ticket is
 * one stamp job. A ticket is unused while it has no consumption and deleted_at is null. Tickets
 * have no lots or log: the rows are the record, each keyed by its source_ref.
 *
 * Every change takes the ledger's one user lock (users.ts) first, as the points ledger does, so
 * a purchase, a refund, a revocation and a job's consumption of the same user queue up instead
 * of racing; reading the count needs no lock.
 */

/** How many unused tickets the user has. */
export async function countUnusedTickets(db: Db | Tx, userId: string): Promise<number> {
  return db.lineStampTicket.count({ where: { userId, deletedAt: null, consumption: null } });
}

/** Runs `fn` in one transaction that starts with the user's ledger lock. */
export async function withUserLock<T>(
  db: Db,
  userId: string,
  fn: (tx: Tx) => Promise<T>,
): Promise<T> {
  return db.$transaction(async (tx) => {
    await lockUser(tx, userId);
    return fn(tx);
  });
}

/** Creates the tickets whose source refs are not there yet; returns how many it created. */
export async function grantTickets(db: Db, userId: string, sourceRefs: string[]): Promise<number> {
  return withUserLock(db, userId, async (tx) => {
    const existing = await tx.lineStampTicket.findMany({
      where: { userId, sourceRef: { in: sourceRefs } },
      select: { sourceRef: true },
    });
    const have = new Set(existing.map((t) => t.sourceRef));
    const missing = sourceRefs.filter((ref) => !have.has(ref));
    if (missing.length > 0) {
      await tx.lineStampTicket.createMany({
        data: missing.map((sourceRef) => ({ userId, sourceRef })),
      });
    }
    return missing.length;
  });
}

/**
 * Binds the user's oldest unused ticket to the stamp job (inside the caller's transaction);
 * null when there is none. UNIQUE(ticket) and UNIQUE(queue) on the consumption are the final
 * guard against a double use.
 */
export async function consumeTicket(
  tx: Tx,
  input: { userId: string; queueId: string },
): Promise<string | null> {
  await lockUser(tx, input.userId);
  const [ticket] = await tx.$queryRaw<Array<{ id: string }>>`
    SELECT t.id::text AS id
    FROM line_stamp_tickets t
    WHERE t.user_id = ${input.userId}::uuid
      AND t.deleted_at IS NULL
      AND NOT EXISTS (
        SELECT 1 FROM line_stamp_ticket_consumptions c WHERE c.line_stamp_ticket_id = t.id
      )
    ORDER BY t.created_at, t.id
    LIMIT 1
    FOR UPDATE OF t SKIP LOCKED`;
  if (!ticket) return null;
  await tx.lineStampTicketConsumption.create({
    data: {
      lineStampGenerateQueueId: input.queueId,
      lineStampTicketId: ticket.id,
      userId: input.userId,
    },
  });
  return ticket.id;
}

/**
 * Gives a failed job's ticket back (inside the caller's transaction): the live consumption is
 * soft-deleted and a replacement ticket `refund:<queueId>` created (the consumed ticket stays
 * bound to its consumption). Idempotent: a second call finds the replacement.
 */
export async function refundTicket(
  tx: Tx,
  input: {
    userId: string;
    queueId: string;
    consumption: { id: string; deletedAt: Date | null } | null;
    now: Date;
  },
): Promise<{ replacementTicketId?: string }> {
  await lockUser(tx, input.userId);
  const sourceRef = refundSourceRef(input.queueId);
  let replacement = await tx.lineStampTicket.findFirst({
    where: { sourceRef, userId: input.userId },
  });
  const { consumption } = input;
  if (consumption && !consumption.deletedAt) {
    await tx.lineStampTicketConsumption.update({
      where: { id: consumption.id },
      data: { deletedAt: input.now },
    });
    replacement ??= await tx.lineStampTicket.create({
      data: { userId: input.userId, sourceRef },
    });
  }
  return replacement ? { replacementTicketId: replacement.id } : {};
}

/**
 * Takes back up to `count` unused tickets, newest first (a refunded purchase), inside the
 * caller's transaction; returns how many. Used tickets stay used.
 */
export async function revokeUnusedTickets(
  tx: Tx,
  input: { userId: string; count: number; now: Date },
): Promise<number> {
  await lockUser(tx, input.userId);
  const unused = await tx.lineStampTicket.findMany({
    where: { userId: input.userId, deletedAt: null, consumption: null },
    orderBy: { createdAt: 'desc' },
    take: input.count,
    select: { id: true },
  });
  await tx.lineStampTicket.updateMany({
    where: { id: { in: unused.map((u) => u.id) } },
    data: { deletedAt: input.now },
  });
  return unused.length;
}
