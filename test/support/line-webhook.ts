import { randomBytes } from 'node:crypto';
import { lineMessageId, webhookEventId, type EventOptions } from '../../stand-ins/line-webhook';

/** The tests build and post LINE webhooks with the same module as the /dev simulator. */
export {
  followEvent,
  imageEvent,
  lineSignature,
  postLineWebhook,
  textEvent,
  unfollowEvent,
  webhookBody,
  webhookEventId,
  type EventOptions,
} from '../../stand-ins/line-webhook';

/**
 * Group and room events as LINE sends them (../shared/line-openapi/webhook.yml): the source is
 * `{type: 'group', groupId, userId}` or `{type: 'room', roomId, userId}`; join and leave name no
 * user; a mention is `message.mention.mentionees[]` (index and length in UTF-16 units), the
 * bot's own with `isSelf: true`.
 */
export interface GroupEventOptions extends EventOptions {
  /** The sender; absent when LINE leaves it out (no consent to share the profile). */
  userId?: string;
}

/** A group (C…) or room (R…) ID, as LINE's: 32 hex digits after the letter. */
export function makeGroupId(kind: 'group' | 'room' = 'group'): string {
  return `${kind === 'group' ? 'C' : 'R'}${randomBytes(16).toString('hex')}`;
}

function groupBase(chatId: string, o: GroupEventOptions) {
  const room = chatId.startsWith('R');
  return {
    mode: 'active',
    timestamp: o.timestamp ?? Date.now(),
    source: {
      type: room ? 'room' : 'group',
      ...(room ? { roomId: chatId } : { groupId: chatId }),
      ...(o.userId ? { userId: o.userId } : {}),
    },
    webhookEventId: o.webhookEventId ?? webhookEventId(),
    deliveryContext: { isRedelivery: o.isRedelivery ?? false },
    ...(o.replyToken !== undefined ? { replyToken: o.replyToken } : {}),
  };
}

export interface Mentionee {
  index: number;
  length: number;
  isSelf?: boolean;
  userId?: string;
}

/** A text in a group; `mentionees` as LINE sends them (the bot's with isSelf: true). */
export function groupTextEvent(
  chatId: string,
  text: string,
  o: GroupEventOptions & { mentionees?: Mentionee[] } = {},
) {
  return {
    ...groupBase(chatId, o),
    type: 'message',
    message: {
      type: 'text',
      id: lineMessageId(),
      quoteToken: randomBytes(24).toString('base64url'),
      text,
      ...(o.mentionees
        ? {
            mention: {
              mentionees: o.mentionees.map((m) => ({
                type: 'user',
                index: m.index,
                length: m.length,
                ...(m.userId ? { userId: m.userId } : {}),
                ...(m.isSelf !== undefined ? { isSelf: m.isSelf } : {}),
              })),
            },
          }
        : {}),
    },
  };
}

/** "@<name> <question>" with the bot's mention at the start, as a member types it. */
export function mentionBotEvent(
  chatId: string,
  question: string,
  o: GroupEventOptions & { botName?: string } = {},
) {
  const tag = `@${o.botName ?? 'AIチャット'}`;
  return groupTextEvent(chatId, `${tag} ${question}`, {
    ...o,
    mentionees: [{ index: 0, length: tag.length, isSelf: true }],
  });
}

/** The bot added to the group or room (a reply token for the greeting). */
export function joinEvent(chatId: string, o: EventOptions = {}) {
  return { ...groupBase(chatId, o), type: 'join' };
}

/** The bot removed from the group or room (no reply token). */
export function leaveEvent(chatId: string, o: Omit<EventOptions, 'replyToken'> = {}) {
  return { ...groupBase(chatId, o), type: 'leave' };
}

/** A member joined: acknowledged and ignored. */
export function memberJoinedEvent(chatId: string, userId: string, o: EventOptions = {}) {
  return {
    ...groupBase(chatId, o),
    type: 'memberJoined',
    joined: { members: [{ type: 'user', userId }] },
  };
}

/** A sticker in a group: members' chat, ignored. */
export function groupStickerEvent(chatId: string, o: GroupEventOptions = {}) {
  return {
    ...groupBase(chatId, o),
    type: 'message',
    message: {
      type: 'sticker',
      id: lineMessageId(),
      quoteToken: randomBytes(24).toString('base64url'),
      packageId: '446',
      stickerId: '1988',
      stickerResourceType: 'STATIC',
    },
  };
}
