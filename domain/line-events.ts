import { z } from 'zod';
import { sanitizeText } from './sanitize-text';

/**
 * The part of a LINE webhook we act on, reduced to what the workflows need. Unknown event and
 * message types are kept as `ignored` so they can be acknowledged and logged, never an error.
 */
export type LineInboundEvent =
  | (Common & { type: 'follow'; replyToken?: string })
  | (Common & { type: 'unfollow' })
  | (Common & { type: 'text'; replyToken?: string; text: string; messageId: string })
  | (Common & {
      type: 'image';
      replyToken?: string;
      messageId: string;
      /** Only `line` content can be downloaded from LINE's data API. */
      contentProvider: 'line' | 'external';
    })
  /** A tap on one of the bot's postback buttons (Flex carousel, rich menu): data, never chat text. */
  | (Common & { type: 'postback'; replyToken?: string; data: string })
  /** A LINE sticker the user sent: a friendly reply, free. */
  | (Common & { type: 'sticker'; replyToken?: string; messageId: string })
  /** Message types the bot cannot handle yet: a polite reply, free; audio is a voice turn. */
  | (Common & {
      type: 'unsupported';
      replyToken?: string;
      messageType: UnsupportedMessageType;
      /** Absent in events recorded before voice messages were transcribed. */
      messageId?: string;
      /** Audio: the recording's length as LINE reports it (ms). */
      durationMs?: number;
      /** Only `line` content can be downloaded from LINE's data API. */
      contentProvider?: 'line' | 'external';
    });

/**
 * Message types without a handler of their own: video, location and file get "not supported
 * yet"; audio is transcribed and answered (issue #14) since the session's patch voice-messages.
 */
export const UNSUPPORTED_MESSAGE_TYPES = ['video', 'audio', 'location', 'file'] as const;
export type UnsupportedMessageType = (typeof UNSUPPORTED_MESSAGE_TYPES)[number];

function isUnsupportedType(type: string | undefined): type is UnsupportedMessageType {
  return (UNSUPPORTED_MESSAGE_TYPES as readonly string[]).includes(type ?? '');
}

/**
 * A LINE group or room the bot is in. LINE's IDs say which: groups `C…`, rooms `R…`. Absent on
 * an event = the user's one-to-one chat (every event recorded before groups reads so).
 */
export interface Conversation {
  kind: 'group' | 'room';
  id: string;
}

interface Common {
  webhookEventId: string;
  /** The sender: in a group or room, the member who addressed the bot (who pays). */
  lineUserId: string;
  /** Set when the event comes from a group or room: where the answer goes, whose history. */
  conversation?: Conversation;
  /** When LINE says the event happened (ms since epoch): reply-token age is measured from it. */
  timestamp: number;
  isRedelivery: boolean;
}

/**
 * The bot added to (`join`) or removed from (`leave`) a group or room. No sender: LINE names
 * nobody, and nobody pays (the join's greeting is free).
 */
export type LineConversationEvent =
  | (ConversationCommon & { type: 'join'; replyToken?: string })
  | (ConversationCommon & { type: 'leave' });

interface ConversationCommon {
  webhookEventId: string;
  timestamp: number;
  isRedelivery: boolean;
  conversation: Conversation;
}

/** Every event the webhook writes to the inbox: a user's event, or the bot joining or leaving. */
export type LineWebhookEvent = LineInboundEvent | LineConversationEvent;

/** How a group or room calls the bot besides a mention (config/catalog.json groups.prefixes). */
export interface InboundOptions {
  groupPrefixes?: readonly string[];
}

export interface IgnoredEvent {
  webhookEventId?: string;
  type: string;
  reason: string;
}

const EventBase = z.object({
  type: z.string(),
  webhookEventId: z.string().min(1),
  timestamp: z.number().int().nonnegative(),
  mode: z.string().optional(),
  source: z
    .object({
      type: z.string(),
      userId: z.string().optional(),
      groupId: z.string().optional(),
      roomId: z.string().optional(),
    })
    .loose()
    .optional(),
  deliveryContext: z.object({ isRedelivery: z.boolean() }).loose().optional(),
  replyToken: z.string().optional(),
  postback: z.object({ data: z.string() }).loose().optional(),
  message: z
    .object({
      type: z.string(),
      id: z.string(),
      text: z.string().optional(),
      contentProvider: z.object({ type: z.string() }).loose().optional(),
      /** Groups and rooms: who the text mentions; `isSelf` marks the bot (index/length: UTF-16). */
      mention: z
        .object({
          mentionees: z.array(
            z
              .object({
                index: z.number().int().nonnegative(),
                length: z.number().int().nonnegative(),
                isSelf: z.boolean().optional(),
              })
              .loose(),
          ),
        })
        .loose()
        .optional(),
    })
    .loose()
    .optional(),
});

export const LineWebhookBody = z.object({
  destination: z.string().optional(),
  events: z.array(z.unknown()),
});

type ParsedEvent = z.infer<typeof EventBase>;

export function toInboundEvent(
  raw: unknown,
  options: InboundOptions = {},
): LineWebhookEvent | IgnoredEvent {
  const parsed = EventBase.safeParse(raw);
  if (!parsed.success) {
    return { type: 'malformed', reason: 'event does not match the LINE webhook event shape' };
  }
  const e = parsed.data;
  const base = { webhookEventId: e.webhookEventId, type: e.type };
  if (e.mode === 'standby') return { ...base, reason: 'channel is in standby mode' };
  const conversation = conversationOf(e);
  if (conversation) return toConversationEvent(e, conversation, options);
  const lineUserId = e.source?.type === 'user' ? e.source.userId : undefined;
  if (!lineUserId) return { ...base, reason: 'not a one-to-one chat with a user' };

  const common: Common = {
    webhookEventId: e.webhookEventId,
    lineUserId,
    timestamp: e.timestamp,
    isRedelivery: e.deliveryContext?.isRedelivery ?? false,
  };
  switch (e.type) {
    case 'follow':
      return { ...common, type: 'follow', replyToken: e.replyToken };
    case 'unfollow':
      return { ...common, type: 'unfollow' };
    case 'postback':
      if (typeof e.postback?.data !== 'string') return { ...base, reason: 'postback without data' };
      return { ...common, type: 'postback', replyToken: e.replyToken, data: e.postback.data };
    case 'message': {
      const m = e.message;
      if (m?.type === 'text' && typeof m.text === 'string') {
        // Sanitised once, here: every later step (archive, LLM, reply) gets text it can store.
        return {
          ...common,
          type: 'text',
          replyToken: e.replyToken,
          text: sanitizeText(m.text),
          messageId: m.id,
        };
      }
      if (m?.type === 'image') {
        return {
          ...common,
          type: 'image',
          replyToken: e.replyToken,
          messageId: m.id,
          contentProvider: m.contentProvider?.type === 'line' ? 'line' : 'external',
        };
      }
      if (m?.type === 'sticker') {
        return { ...common, type: 'sticker', replyToken: e.replyToken, messageId: m.id };
      }
      if (isUnsupportedType(m?.type)) {
        const duration = (m as { duration?: unknown }).duration;
        return {
          ...common,
          type: 'unsupported',
          replyToken: e.replyToken,
          messageType: m.type,
          messageId: m.id,
          ...(typeof duration === 'number' && duration >= 0 ? { durationMs: duration } : {}),
          contentProvider: m.contentProvider?.type === 'line' ? 'line' : 'external',
        };
      }
      return {
        ...base,
        type: `message:${m?.type ?? 'unknown'}`,
        reason: 'message type not handled',
      };
    }
    default:
      return { ...base, reason: 'event type not handled' };
  }
}

/** A user's event (one-to-one, or addressed to the bot in a group or room). */
export function isInbound(e: LineWebhookEvent | IgnoredEvent): e is LineInboundEvent {
  return 'lineUserId' in e;
}

/** Anything the webhook writes to the inbox: a user's event, join or leave. */
export function isAccepted(e: LineWebhookEvent | IgnoredEvent): e is LineWebhookEvent {
  return !('reason' in e);
}

/** The session that answers the event, in order: the group's or room's, else the user's. */
export function sessionKeyOf(event: LineWebhookEvent): string {
  return event.conversation
    ? `${event.conversation.kind}:${event.conversation.id}`
    : (event as LineInboundEvent).lineUserId;
}

function conversationOf(e: ParsedEvent): Conversation | undefined {
  if (e.source?.type === 'group' && e.source.groupId)
    return { kind: 'group', id: e.source.groupId };
  if (e.source?.type === 'room' && e.source.roomId) return { kind: 'room', id: e.source.roomId };
  return undefined;
}

/** Why a group's or room's event gets nothing (acknowledged, no inbox row, no reply, no charge). */
export const NOT_ADDRESSED = 'group message not addressed to the bot';
export const NO_SENDER = 'group message to the bot without a user ID (nobody to charge)';

/**
 * A group's or room's event: join and leave are the bot's own; a text is the sender's turn only
 * when it mentions the bot or starts with a configured prefix (the mention or prefix removed
 * from what the model gets); a tap on the bot's button is the tapper's. Everything else there is
 * chat between the members, not for us.
 */
function toConversationEvent(
  e: ParsedEvent,
  conversation: Conversation,
  options: InboundOptions,
): LineWebhookEvent | IgnoredEvent {
  const base = { webhookEventId: e.webhookEventId, type: e.type };
  const common = {
    webhookEventId: e.webhookEventId,
    timestamp: e.timestamp,
    isRedelivery: e.deliveryContext?.isRedelivery ?? false,
    conversation,
  };
  switch (e.type) {
    case 'join':
      return { ...common, type: 'join', replyToken: e.replyToken };
    case 'leave':
      return { ...common, type: 'leave' };
    case 'memberJoined':
    case 'memberLeft':
      return { ...base, reason: 'group membership change (nothing to answer)' };
    case 'postback': {
      // A tap on one of the bot's buttons shown in the group (a refusal's upgrade offer): for
      // the bot, though never a turn; the group's session answers it (free).
      const lineUserId = e.source?.userId;
      if (typeof e.postback?.data !== 'string') return { ...base, reason: 'postback without data' };
      if (!lineUserId) return { ...base, reason: NO_SENDER };
      return {
        ...common,
        lineUserId,
        type: 'postback',
        replyToken: e.replyToken,
        data: e.postback.data,
      };
    }
    case 'message': {
      const m = e.message;
      const text =
        m?.type === 'text' && typeof m.text === 'string'
          ? addressedText(m.text, m.mention?.mentionees ?? [], options.groupPrefixes ?? [])
          : undefined;
      if (text === undefined || !m) {
        return { ...base, type: `message:${m?.type ?? 'unknown'}`, reason: NOT_ADDRESSED };
      }
      // LINE leaves the user ID out when the member has not consented to share it: there is no
      // one to charge, so the bot stays silent rather than answer for free or guess.
      const lineUserId = e.source?.userId;
      if (!lineUserId) return { ...base, type: 'message:text', reason: NO_SENDER };
      return {
        ...common,
        lineUserId,
        type: 'text',
        replyToken: e.replyToken,
        text: sanitizeText(text),
        messageId: m.id,
      };
    }
    default:
      return { ...base, reason: NOT_ADDRESSED };
  }
}

/**
 * The text for the bot, or undefined when the text is not addressed to it: the bot's mentions
 * cut out (LINE counts index and length in UTF-16 units, as JavaScript strings do), or a
 * leading prefix removed. Pure, so the unit tests pin it down.
 */
export function addressedText(
  text: string,
  mentionees: ReadonlyArray<{ index: number; length: number; isSelf?: boolean }>,
  prefixes: readonly string[],
): string | undefined {
  const self = mentionees
    .filter((m) => m.isSelf === true && m.index + m.length <= text.length)
    .sort((a, b) => b.index - a.index);
  if (self.length > 0) {
    let rest = text;
    for (const m of self) {
      const before = rest.slice(0, m.index);
      const after = rest.slice(m.index + m.length);
      // "see @bot here" reads "see here", not "see  here".
      rest = before + (/\s$/.test(before) ? after.replace(/^\s+/, '') : after);
    }
    return tidy(rest);
  }
  const start = text.replace(/^\s+/, '');
  const folded = start.normalize('NFKC').toLowerCase();
  for (const prefix of prefixes) {
    const p = prefix.normalize('NFKC').toLowerCase();
    // Compared folded (full-width ＡＩ types as AI), cut from the text as typed: NFKC may change
    // the length, so the cut is at the first position whose fold covers the prefix.
    if (!p || !folded.startsWith(p)) continue;
    for (let i = 1; i <= start.length; i++) {
      if (start.slice(0, i).normalize('NFKC').toLowerCase().length >= p.length)
        return tidy(start.slice(i));
    }
  }
  return undefined;
}

/** Spaces and the separators people type after a name (「、」 「:」 「,」) go. */
function tidy(text: string): string {
  return text.replace(/^[\s、,:：，]+/, '').trim();
}
