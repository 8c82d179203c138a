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

/** The fields every one-on-one event carries (and its reply token, when it has one). */
function base(userId: string, o: EventOptions) {
  return {
    mode: 'active',
    timestamp: o.timestamp ?? Date.now(),
    source: { type: 'user', userId },
    webhookEventId: o.webhookEventId ?? webhookEventId(),
    deliveryContext: { isRedelivery: o.isRedelivery ?? false },
    ...(o.replyToken !== undefined ? { replyToken: o.replyToken } : {}),
  };
}

export function textEvent(userId: string, text: string, o: EventOptions = {}) {
  return {
    ...base(userId, o),
    type: 'message',
    message: {
      type: 'text',
      id: lineMessageId(),
      quoteToken: randomBytes(24).toString('base64url'),
      text,
    },
  };
}

export function imageEvent(userId: string, messageId: string, o: EventOptions = {}) {
  return {
    ...base(userId, o),
    type: 'message',
    message: { type: 'image', id: messageId, contentProvider: { type: 'line' } },
  };
}

/** A LINE sticker the user sent (a static one of a package, as LINE's basic stickers are). */
export function stickerEvent(
  userId: string,
  packageId: string,
  stickerId: string,
  o: EventOptions = {},
) {
  return {
    ...base(userId, o),
    type: 'message',
    message: {
      type: 'sticker',
      id: lineMessageId(),
      quoteToken: randomBytes(24).toString('base64url'),
      packageId,
      stickerId,
      stickerResourceType: 'STATIC',
    },
  };
}

/** A voice message: LINE keeps the recording; the bot downloads it by message ID. */
export function audioEvent(
  userId: string,
  messageId: string,
  durationMs: number,
  o: EventOptions = {},
) {
  return {
    ...base(userId, o),
    type: 'message',
    message: {
      type: 'audio',
      id: messageId,
      duration: durationMs,
      contentProvider: { type: 'line' },
    },
  };
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
