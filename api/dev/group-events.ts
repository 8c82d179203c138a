import { randomBytes } from 'node:crypto';
import {
  lineMessageId,
  webhookEventId as newWebhookEventId,
  type EventOptions,
} from '../../stand-ins/line-webhook';

/**
 * Webhook events of group chats and multi-person chats (rooms) as LINE sends them
 * (../shared/line-openapi/webhook.yml): the source is `{type: 'group', groupId, userId}` or
 * `{type: 'room', roomId, userId}`, where the userId is present in message (and postback)
 * events only; a mention of the bot is `message.mention.mentionees[]` with `isSelf: true`.
 */

export type ChatType = 'group' | 'room';

/** A group ID is "C" + 32 hex digits, a room ID "R" + 32 hex digits. */
export const CHAT_ID = /^[CR][0-9a-f]{32}$/;

export function makeChatId(type: ChatType): string {
  return `${type === 'group' ? 'C' : 'R'}${randomBytes(16).toString('hex')}`;
}

export const chatTypeOf = (chatId: string): ChatType => (chatId.startsWith('C') ? 'group' : 'room');

function source(chatId: string, userId?: string) {
  const type = chatTypeOf(chatId);
  return {
    type,
    ...(type === 'group' ? { groupId: chatId } : { roomId: chatId }),
    ...(userId !== undefined ? { userId } : {}),
  };
}

function base(chatId: string, userId: string | undefined, o: EventOptions) {
  return {
    mode: 'active',
    timestamp: o.timestamp ?? Date.now(),
    source: source(chatId, userId),
    webhookEventId: o.webhookEventId ?? newWebhookEventId(),
    deliveryContext: { isRedelivery: o.isRedelivery ?? false },
    ...(o.replyToken !== undefined ? { replyToken: o.replyToken } : {}),
  };
}

export interface MentionOfBot {
  /** Where "@<bot name>" starts in the text, and its length (UTF-16 units, as LINE counts). */
  index: number;
  length: number;
}

/**
 * The text a member types with the bot mentioned: "@<bot name> " in front, and the mention's
 * place in it.
 */
export function mentionText(
  botName: string,
  text: string,
): { text: string; mention: MentionOfBot } {
  const tag = `@${botName}`;
  return { text: `${tag} ${text}`, mention: { index: 0, length: tag.length } };
}

export function groupTextEvent(
  chatId: string,
  userId: string,
  text: string,
  mention: MentionOfBot | undefined,
  o: EventOptions = {},
) {
  return {
    ...base(chatId, userId, o),
    type: 'message',
    message: {
      type: 'text',
      id: lineMessageId(),
      quoteToken: randomBytes(24).toString('base64url'),
      text,
      ...(mention ? { mention: { mentionees: [{ ...mention, type: 'user', isSelf: true }] } } : {}),
    },
  };
}

/** A member's tap on a postback button the bot sent to the group. */
export function groupPostbackEvent(chatId: string, userId: string, data: string, o: EventOptions) {
  return { ...base(chatId, userId, o), type: 'postback', postback: { data } };
}

/** The bot was added to the group (LINE sends a reply token; no userId in the source). */
export function joinEvent(chatId: string, o: EventOptions) {
  return { ...base(chatId, undefined, o), type: 'join' };
}

/** The bot was removed from the group (no reply token). */
export function leaveEvent(chatId: string, o: Omit<EventOptions, 'replyToken'> = {}) {
  return { ...base(chatId, undefined, o), type: 'leave' };
}
