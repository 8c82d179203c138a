import { estimateTokens } from '../domain/pricing';
import type { Db, Tx } from '../lib/db';

/**
 * The chat archive's two sides (table chat_archives): the history a turn's prompt is built
 * from, and the turn's messages written at settlement. A group's or room's rows carry its ID
 * (conversation_id) and are its members' shared history; a user's one-to-one history is only
 * their own rows without one, so neither ever sees the other.
 */

/** The newest rows of the turn's history (newest first), at most `take`. */
export function historyRows(
  db: Pick<Db, 'chatArchive'>,
  user: { id: string; conversationStartedAt: Date },
  conversationId: string | undefined,
  take: number,
) {
  return db.chatArchive.findMany({
    where: conversationId
      ? { conversationId }
      : { userId: user.id, conversationId: null, createdAt: { gte: user.conversationStartedAt } },
    orderBy: [{ createdAt: 'desc' }, { role: 'asc' }],
    take,
    select: { role: true, content: true, tokenCount: true },
  });
}

/** Both messages of a settled turn, once per turn and role (a retried write is a no-op). */
export async function archiveTurn(
  tx: Pick<Tx, 'chatArchive'>,
  turn: {
    userId: string;
    turnId: string;
    userText: string;
    answer: string;
    answerTokens: number;
    now: Date;
    conversationId?: string;
  },
): Promise<void> {
  const common = {
    userId: turn.userId,
    turnId: turn.turnId,
    conversationId: turn.conversationId ?? null,
  };
  await tx.chatArchive.createMany({
    data: [
      {
        ...common,
        role: 'user',
        content: turn.userText,
        tokenCount: estimateTokens(turn.userText),
        createdAt: turn.now,
      },
      {
        ...common,
        role: 'assistant',
        content: turn.answer,
        tokenCount: turn.answerTokens,
        // After the user's message, so history keeps their order.
        createdAt: new Date(turn.now.getTime() + 1),
      },
    ],
    skipDuplicates: true,
  });
}
