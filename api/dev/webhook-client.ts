import type { Request } from 'express';
import { makeLineUserId, type LinePlatformRemote } from '../../stand-ins';
import {
  lineSignature,
  sendLineWebhook,
  webhookBody,
  webhookEventId as newWebhookEventId,
  type EventOptions,
} from '../../stand-ins/line-webhook';
import { HttpError } from '../errors';
import { selfUrl } from './request';

/**
 * The simulator acting as LINE: events built by the same module as the tests
 * (stand-ins/line-webhook), reply tokens issued by the LINE stand-in (so the bot's replies are
 * accepted and recorded there), signed with the channel secret and posted to this app's
 * /webhooks/line. Also what the simulator needs to know about the stand-in itself.
 */

/** Stand-in for the bot's own user ID (`destination` of LINE webhooks). */
const BOT_USER_ID = makeLineUserId('line-ai-stamp-simulator-bot');

export interface PreparedEvent {
  /** Taken before posting, so the sent entry sorts before the bot's answers. */
  at: string;
  webhookEventId: string;
  options: EventOptions;
}

export interface StandInStatus {
  ok: boolean;
  url: string;
  error?: string;
}

export interface SimulatedLine {
  /**
   * A new event's ID and, when the event carries one, a reply token from the stand-in: issued
   * for the user, and in a group or room for its ID too (the stand-in records the reply there).
   */
  prepare(
    lineUserId: string | undefined,
    withReplyToken: boolean,
    chatId?: string,
  ): Promise<PreparedEvent>;
  /** Signs the event as LINE does and posts it; a refusal becomes 502 WEBHOOK_REFUSED. */
  post(req: Request, event: Record<string, unknown>): Promise<{ status: number; body: unknown }>;
  standInStatus(): Promise<StandInStatus>;
  /** 503 STAND_IN_UNAVAILABLE unless LINE_API_BASE_URL is the local LINE stand-in. */
  requireStandIn(): Promise<void>;
  /** The newest record the stand-in holds for the user (0 when none). */
  lastSeq(lineUserId: string): Promise<number>;
  /** Waits until the bot replied or pushed something to the user after `after`. */
  waitForBot(lineUserId: string, after: number, timeoutMs: number): Promise<boolean>;
}

export function simulatedLine(standIn: LinePlatformRemote, channelSecret: string): SimulatedLine {
  async function standInStatus(): Promise<StandInStatus> {
    try {
      const res = await fetch(`${standIn.url}/__stand-in/health`, {
        signal: AbortSignal.timeout(2000),
      });
      const body = (await res.json().catch(() => null)) as { service?: string } | null;
      if (res.ok && body?.service === 'line-platform') return { ok: true, url: standIn.url };
      return { ok: false, url: standIn.url, error: `answered ${res.status}, not the stand-in` };
    } catch (err) {
      return { ok: false, url: standIn.url, error: (err as Error).message };
    }
  }

  return {
    async prepare(lineUserId, withReplyToken, chatId) {
      const at = new Date().toISOString();
      const webhookEventId = newWebhookEventId();
      const replyToken = withReplyToken
        ? await standIn.issueReplyToken({
            ...(lineUserId !== undefined ? { userId: lineUserId } : {}),
            ...(chatId !== undefined ? { chatId } : {}),
          })
        : undefined;
      return { at, webhookEventId, options: { webhookEventId, replyToken } };
    },

    async post(req, event) {
      const body = webhookBody([event], BOT_USER_ID);
      const res = await sendLineWebhook(selfUrl(req), body, lineSignature(body, channelSecret));
      const answer: unknown = await res.json().catch(() => null);
      if (!res.ok)
        throw new HttpError(502, 'WEBHOOK_REFUSED', `/webhooks/line answered ${res.status}`, {
          webhook: answer,
        });
      return { status: res.status, body: answer };
    },

    standInStatus,

    async requireStandIn() {
      const status = await standInStatus();
      if (!status.ok)
        throw new HttpError(
          503,
          'STAND_IN_UNAVAILABLE',
          `the simulator needs the local LINE stand-in, but LINE_API_BASE_URL (${status.url}) ` +
            `is not one (${status.error ?? 'unknown'}); run \`npm run dev\` without LINE ` +
            `credentials so that LOCAL_STAND_INS=true`,
        );
    },

    async lastSeq(lineUserId) {
      const records = await standIn.received({ userId: lineUserId });
      return records.reduce((max, r) => Math.max(max, r.seq), 0);
    },

    async waitForBot(lineUserId, after, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const records = await standIn.received({ userId: lineUserId, after });
        // Not a reply the user got in a group (recorded with the group's chatId).
        if (records.some((r) => r.kind !== 'loading' && !r.chatId)) return true;
        if (Date.now() >= deadline) return false;
        await new Promise((r) => setTimeout(r, 200));
      }
    },
  };
}
