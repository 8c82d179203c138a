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

interface Common {
  webhookEventId: string;
  lineUserId: string;
  /** When LINE says the event happened (ms since epoch): reply-token age is measured from it. */
  timestamp: number;
  isRedelivery: boolean;
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
  source: z.object({ type: z.string(), userId: z.string().optional() }).loose().optional(),
  deliveryContext: z.object({ isRedelivery: z.boolean() }).loose().optional(),
  replyToken: z.string().optional(),
  postback: z.object({ data: z.string() }).loose().optional(),
  message: z
    .object({
      type: z.string(),
      id: z.string(),
      text: z.string().optional(),
      contentProvider: z.object({ type: z.string() }).loose().optional(),
    })
    .loose()
    .optional(),
});

export const LineWebhookBody = z.object({
  destination: z.string().optional(),
  events: z.array(z.unknown()),
});

export function toInboundEvent(raw: unknown): LineInboundEvent | IgnoredEvent {
  const parsed = EventBase.safeParse(raw);
  if (!parsed.success) {
    return { type: 'malformed', reason: 'event does not match the LINE webhook event shape' };
  }
  const e = parsed.data;
  const base = { webhookEventId: e.webhookEventId, type: e.type };
  if (e.mode === 'standby') return { ...base, reason: 'channel is in standby mode' };
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

export function isInbound(e: LineInboundEvent | IgnoredEvent): e is LineInboundEvent {
  return 'lineUserId' in e;
}
