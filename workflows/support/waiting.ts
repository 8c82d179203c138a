import type { RefusedEventRef, SessionLimits } from '../../activities/chat';
import type { LineInboundEvent } from '../../domain/line-events';

/**
 * A user's waiting messages, bounded (issue #12, floods): what a session holds and carries
 * across continue-as-new stays small whatever arrives. Pure, so the session's signal handler
 * decides alike on every replay.
 */

export type { RefusedEventRef } from '../../activities/chat';
export type WaitingLimits = SessionLimits;

/** Until the session has read config/catalog.json (its first run's first moments). */
export const DEFAULT_WAITING_LIMITS: WaitingLimits = {
  maxWaitingMessages: 10,
  maxWaitingBytes: 160_000,
};

/** Refused events kept for their busy reply; about 200 bytes each. Beyond it, only logged. */
export const MAX_REFUSED_KEPT = 500;

/** Busy replies sent per activity call. */
export const BUSY_REPLY_BATCH = 50;

/** UTF-8 bytes of a string (TextEncoder-free: workflow code). */
export function utf8Bytes(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** What an event weighs in the session's state: its text, plus a fixed allowance for the rest. */
export function eventBytes(event: LineInboundEvent): number {
  return 512 + (event.type === 'text' ? utf8Bytes(event.text) : 0);
}

/** Messages a flood may refuse; follow and unfollow (tiny, and never a flood) always wait. */
export function isRefusable(event: LineInboundEvent): boolean {
  return event.type !== 'follow' && event.type !== 'unfollow';
}

export function refusedRef(event: LineInboundEvent): RefusedEventRef {
  return {
    webhookEventId: event.webhookEventId,
    lineUserId: event.lineUserId,
    ...('replyToken' in event && event.replyToken ? { replyToken: event.replyToken } : {}),
    timestamp: event.timestamp,
  };
}
