import { createHmac, randomBytes } from 'node:crypto';

/** Builds LINE webhook payloads exactly as the platform sends them, and signs them. */

let counter = 0;
/** A ULID-shaped webhookEventId (26 chars of Crockford base32), unique per call. */
export function webhookEventId(): string {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  const bytes = randomBytes(26);
  counter++;
  return Array.from(bytes, (b) => alphabet[b % 32]).join('');
}

interface EventOptions {
  replyToken?: string;
  webhookEventId?: string;
  timestamp?: number;
  isRedelivery?: boolean;
}

function base(userId: string, o: EventOptions) {
  return {
    mode: 'active',
    timestamp: o.timestamp ?? Date.now(),
    source: { type: 'user', userId },
    webhookEventId: o.webhookEventId ?? webhookEventId(),
    deliveryContext: { isRedelivery: o.isRedelivery ?? false },
  };
}

export function textEvent(userId: string, text: string, o: EventOptions = {}) {
  return {
    ...base(userId, o),
    type: 'message',
    replyToken: o.replyToken,
    message: { type: 'text', id: String(Date.now()) + counter, quoteToken: 'q', text },
  };
}

export function imageEvent(userId: string, messageId: string, o: EventOptions = {}) {
  return {
    ...base(userId, o),
    type: 'message',
    replyToken: o.replyToken,
    message: { type: 'image', id: messageId, contentProvider: { type: 'line' } },
  };
}

export function followEvent(userId: string, o: EventOptions = {}) {
  return {
    ...base(userId, o),
    type: 'follow',
    replyToken: o.replyToken,
    follow: { isUnblocked: false },
  };
}

export function unfollowEvent(userId: string, o: EventOptions = {}) {
  return { ...base(userId, o), type: 'unfollow' };
}

export function webhookBody(events: unknown[]): string {
  return JSON.stringify({ destination: 'U' + '0'.repeat(32), events });
}

export function lineSignature(body: string, channelSecret: string): string {
  return createHmac('sha256', channelSecret).update(body).digest('base64');
}

export async function postLineWebhook(
  apiUrl: string,
  channelSecret: string,
  events: unknown[],
  signature?: string,
): Promise<Response> {
  const body = webhookBody(events);
  return fetch(`${apiUrl}/webhooks/line`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-line-signature': signature ?? lineSignature(body, channelSecret),
    },
    body,
  });
}
