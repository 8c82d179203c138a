import type { Catalog } from '../config/catalog';
import type { Conversation } from '../domain/line-events';
import type { Db } from '../lib/db';
import type { Logger } from '../lib/logger';
import type { DeliverInput, DeliverResult } from './line-messaging';
import { withFailureClassification } from './support/failures';

/**
 * What a group's or room's session (workflows/line-group-session.ts) does besides chat turns:
 * the bot joining and leaving, and the free answers given in the group. Nothing here charges.
 */

export interface LineGroupDeps {
  catalog: Pick<Catalog, 'groups'>;
  db: Pick<Db, 'lineConversation' | 'chatArchive' | 'lineInboxEvent'>;
  line: { deliverMessages(input: DeliverInput): Promise<DeliverResult> };
  logger: Logger;
}

export interface ConversationEventInput {
  webhookEventId: string;
  conversation: Conversation;
  replyToken?: string;
  timestamp: number;
}

/** A free answer in the group: how to call the bot (help), or "use the one-to-one chat". */
export interface GroupAnswerInput extends ConversationEventInput {
  kind: 'help' | 'personalCommand';
  lineUserId: string;
}

export function createLineGroupActivities(deps: LineGroupDeps) {
  const { catalog, db, logger } = deps;
  /** A free answer to the group itself, keyed by the event (a retry sends it once). */
  const answer = (input: ConversationEventInput, text: string, lineUserId: string, key: string) =>
    deps.line.deliverMessages({
      lineUserId,
      to: input.conversation.id,
      texts: [text],
      replyToken: input.replyToken,
      eventTimestamp: input.timestamp,
      deliveryId: `${key}-${input.webhookEventId}`,
    });

  return withFailureClassification({
    /**
     * The bot was added: the conversation is remembered (again, if it had left) and greeted with
     * how to call the bot and who pays. Idempotent: the upsert, and the greeting's delivery key.
     */
    async joinConversation(input: ConversationEventInput): Promise<DeliverResult> {
      const { id, kind } = input.conversation;
      await db.lineConversation.upsert({
        where: { id },
        create: { id, kind },
        update: { joinedAt: new Date(), leftAt: null },
      });
      logger.info({ webhookEventId: input.webhookEventId, kind }, 'bot joined a conversation');
      // Nobody to name: the greeting goes to the group itself.
      return answer(input, catalog.groups.greeting, id, 'join');
    },

    /**
     * The bot was removed: the conversation is marked left and its chat history deleted (the
     * privacy promise in README "Groups and rooms"), with the group's inbox rows before the
     * leave (they hold the members' texts until retention.lineInboxHours). Idempotent: a
     * second run deletes nothing.
     */
    async leaveConversation(input: ConversationEventInput): Promise<{ deleted: number }> {
      const { id, kind } = input.conversation;
      await db.lineConversation.upsert({
        where: { id },
        create: { id, kind, leftAt: new Date() },
        update: { leftAt: new Date() },
      });
      const { count } = await db.chatArchive.deleteMany({ where: { conversationId: id } });
      // The group's rows before the leave's own: the relay signals a conversation's rows in
      // order, so each was handed over before the leave, even when the relay's pass has not yet
      // marked it relayed (it marks a pass's rows together, after the sessions got them).
      const leave = await db.lineInboxEvent.findUnique({
        where: { webhookEventId: input.webhookEventId },
        select: { id: true },
      });
      const inbox = await db.lineInboxEvent.deleteMany({
        where: {
          event: { path: ['conversation', 'id'], equals: id },
          ...(leave ? { id: { lt: leave.id } } : { relayedAt: { not: null } }),
        },
      });
      logger.info(
        { webhookEventId: input.webhookEventId, kind, deleted: count, inboxDeleted: inbox.count },
        'bot left a conversation; its chat history deleted',
      );
      return { deleted: count };
    },

    /** Help (how to call the bot), or a personal command's "use the one-to-one chat": free. */
    async answerInConversation(input: GroupAnswerInput): Promise<DeliverResult> {
      const text = input.kind === 'help' ? catalog.groups.greeting : catalog.groups.personalCommand;
      logger.info({ webhookEventId: input.webhookEventId, kind: input.kind }, 'group answer');
      return answer(input, text, input.lineUserId, 'answer');
    },
  });
}

export type LineGroupActivities = ReturnType<typeof createLineGroupActivities>;
