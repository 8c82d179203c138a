import { createHmac, randomBytes } from 'node:crypto';

/**
 * LINE webhook requests exactly as the platform sends them: the events, the body around them,
 * its X-Line-Signature, and the POST. One builder for the /dev simulator and the tests, so
 * that both exercise /webhooks/line with the same shapes.
 */

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A ULID, as LINE's `webhookEventId`: 48-bit time + 80 random bits, Crockford base32. */
export function ulid(now = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const random = Array.from(randomBytes(16), (b) => CROCKFORD[b % 32]).join('');
  return time + random;
}

/** A fresh webhookEventId (a ULID, 26 characters), unique per call. */
export function webhookEventId(): string {
  return ulid();
}

let messageCounter = 0;
/** A LINE-like numeric message ID (LINE's are 18-digit decimal strings), unique per call. */
export function lineMessageId(): string {
  messageCounter = (messageCounter + 1) % 100_000;
  return `${Date.now()}${String(messageCounter).padStart(5, '0')}`;
}

/** The `destination` (the bot's user ID) when the caller does not name one. */
export const DEFAULT_DESTINATION = 'U' + '0'.repeat(32);

export interface EventOptions {
  replyToken?: string;
  webhookEventId?: string;
  timestamp?: number;
  isRedelivery?: boolean;
}

/** Who an event comes from: a user one-on-one, or a group (C…) or room (R…) and its member. */
export type EventSource =
  | { type: 'user'; userId: string }
  | { type: 'group'; groupId: string; userId?: string }
  | { type: 'room'; roomId: string; userId?: string };

/** The fields every event carries (and its reply token, when it has one). */
function envelope<S extends EventSource>(source: S, o: EventOptions) {
  return {
    mode: 'active',
    timestamp: o.timestamp ?? Date.now(),
    source,
    webhookEventId: o.webhookEventId ?? webhookEventId(),
    deliveryContext: { isRedelivery: o.isRedelivery ?? false },
    ...(o.replyToken !== undefined ? { replyToken: o.replyToken } : {}),
  };
}

const user = (userId: string) => ({ type: 'user' as const, userId });

/** The fields every one-on-one event carries. */
function base(userId: string, o: EventOptions) {
  return envelope(user(userId), o);
}

function messageEvent<S extends EventSource, M>(source: S, message: M, o: EventOptions) {
  return { ...envelope(source, o), type: 'message', message };
}

/** A mention in a text (index and length in UTF-16 units); the bot's own with isSelf: true. */
export interface Mentionee {
  index: number;
  length: number;
  isSelf?: boolean;
  userId?: string;
}

function textMessage(text: string, mentionees?: Mentionee[]) {
  return {
    type: 'text',
    id: lineMessageId(),
    quoteToken: randomBytes(24).toString('base64url'),
    text,
    ...(mentionees
      ? {
          mention: {
            mentionees: mentionees.map((m) => ({
              type: 'user',
              index: m.index,
              length: m.length,
              ...(m.userId ? { userId: m.userId } : {}),
              ...(m.isSelf !== undefined ? { isSelf: m.isSelf } : {}),
            })),
          },
        }
      : {}),
  };
}

/** A static sticker of a package, as LINE's basic stickers are. */
function stickerMessage(packageId: string, stickerId: string) {
  return {
    type: 'sticker',
    id: lineMessageId(),
    quoteToken: randomBytes(24).toString('base64url'),
    packageId,
    stickerId,
    stickerResourceType: 'STATIC',
  };
}

export function textEvent(userId: string, text: string, o: EventOptions = {}) {
  return messageEvent(user(userId), textMessage(text), o);
}

export function imageEvent(userId: string, messageId: string, o: EventOptions = {}) {
  return messageEvent(
    user(userId),
    { type: 'image', id: messageId, contentProvider: { type: 'line' } },
    o,
  );
}

/** A LINE sticker the user sent (a static one of a package, as LINE's basic stickers are). */
export function stickerEvent(
  userId: string,
  packageId: string,
  stickerId: string,
  o: EventOptions = {},
) {
  return messageEvent(user(userId), stickerMessage(packageId, stickerId), o);
}

/** A voice message: LINE keeps the recording; the bot downloads it by message ID. */
export function audioEvent(
  userId: string,
  messageId: string,
  durationMs: number,
  o: EventOptions = {},
) {
  return messageEvent(
    user(userId),
    { type: 'audio', id: messageId, duration: durationMs, contentProvider: { type: 'line' } },
    o,
  );
}

/** A tap on a postback action (a quick reply, a Flex or rich-menu button). */
export function postbackEvent(userId: string, data: string, o: EventOptions = {}) {
  return { ...base(userId, o), type: 'postback', postback: { data } };
}

export function followEvent(userId: string, o: EventOptions = {}) {
  return { ...base(userId, o), type: 'follow', follow: { isUnblocked: false } };
}

/** LINE sends no reply token with an unfollow. */
export function unfollowEvent(userId: string, o: Omit<EventOptions, 'replyToken'> = {}) {
  return { ...base(userId, o), type: 'unfollow' };
}

/*
 * Group and room events as LINE sends them (../shared/line-openapi/webhook.yml): the source is
 * `{type: 'group', groupId, userId}` or `{type: 'room', roomId, userId}`; join and leave name no
 * user; a mention is `message.mention.mentionees[]` (index and length in UTF-16 units), the
 * bot's own with `isSelf: true`.
 */

export type ChatType = 'group' | 'room';

/** A group ID is "C" + 32 hex digits, a room ID "R" + 32 hex digits. */
export const CHAT_ID = /^[CR][0-9a-f]{32}$/;

/** A new group (C…) or room (R…) ID, as LINE's: 32 hex digits after the letter. */
export function makeChatId(type: ChatType = 'group'): string {
  return `${type === 'group' ? 'C' : 'R'}${randomBytes(16).toString('hex')}`;
}

export const chatTypeOf = (chatId: string): ChatType => (chatId.startsWith('C') ? 'group' : 'room');

export interface GroupEventOptions extends EventOptions {
  /** The sender; absent when LINE leaves it out (join, leave, no consent to share the profile). */
  userId?: string;
}

/** The source of a group's or room's event: the chat and (when there is one) the member. */
function chatSource(chatId: string, userId?: string): EventSource {
  const type = chatTypeOf(chatId);
  return {
    ...(type === 'group' ? { type, groupId: chatId } : { type, roomId: chatId }),
    ...(userId ? { userId } : {}),
  };
}

function groupBase(chatId: string, o: GroupEventOptions) {
  return envelope(chatSource(chatId, o.userId), o);
}

/**
 * The text a member types with the bot mentioned: "@<bot name> " in front, and the mention's
 * place in it.
 */
export function mentionText(
  botName: string,
  text: string,
): { text: string; mention: { index: number; length: number } } {
  const tag = `@${botName}`;
  return { text: `${tag} ${text}`, mention: { index: 0, length: tag.length } };
}

/** A text in a group; `mentionees` as LINE sends them (the bot's with isSelf: true). */
export function groupTextEvent(
  chatId: string,
  text: string,
  o: GroupEventOptions & { mentionees?: Mentionee[] } = {},
) {
  return messageEvent(chatSource(chatId, o.userId), textMessage(text, o.mentionees), o);
}

/** "@<name> <question>" with the bot's mention at the start, as a member types it. */
export function mentionBotEvent(
  chatId: string,
  question: string,
  o: GroupEventOptions & { botName?: string } = {},
) {
  const { text, mention } = mentionText(o.botName ?? 'AIチャット', question);
  return groupTextEvent(chatId, text, { ...o, mentionees: [{ ...mention, isSelf: true }] });
}

/** A member's tap on a postback button the bot sent to the group. */
export function groupPostbackEvent(chatId: string, data: string, o: GroupEventOptions = {}) {
  return { ...groupBase(chatId, o), type: 'postback', postback: { data } };
}

/** The bot added to the group or room (LINE sends a reply token for the greeting). */
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

/** A sticker in a group (LINE's basic 446/1988): members' chat, ignored. */
export function groupStickerEvent(chatId: string, o: GroupEventOptions = {}) {
  return messageEvent(chatSource(chatId, o.userId), stickerMessage('446', '1988'), o);
}

export function webhookBody(events: unknown[], destination = DEFAULT_DESTINATION): string {
  return JSON.stringify({ destination, events });
}

/** X-Line-Signature: base64 HMAC-SHA256 of the exact body with the channel secret. */
export function lineSignature(body: string, channelSecret: string): string {
  return createHmac('sha256', channelSecret).update(body).digest('base64');
}

/** POSTs a ready body with the headers LINE sends. */
export function sendLineWebhook(
  apiUrl: string,
  body: string,
  signature: string,
): Promise<Response> {
  return fetch(`${apiUrl.replace(/\/+$/, '')}/webhooks/line`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'user-agent': 'LineBotWebhook/2.0',
      'x-line-signature': signature,
    },
    body,
  });
}

/** Signs the events' body with the channel secret (unless a signature is given) and posts it. */
export function postLineWebhook(
  apiUrl: string,
  channelSecret: string,
  events: unknown[],
  signature?: string,
): Promise<Response> {
  const body = webhookBody(events);
  return sendLineWebhook(apiUrl, body, signature ?? lineSignature(body, channelSecret));
}
