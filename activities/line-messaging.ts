import { createHash } from 'node:crypto';
import { HTTPFetchError, messagingApi } from '@line/bot-sdk';
import { MAX_MESSAGES_PER_CALL, toMessageBatches } from '../domain/line-messages';
import type { Clock } from '../domain/clock';
import type { Db } from '../lib/db';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/metrics';
import { activityAttempt } from './support/context';
import { withFailureClassification } from './support/failures';

export interface LineMessagingDeps {
  client: messagingApi.MessagingApiClient;
  /** Records deliveries answered by reply token (see deliverMessages). */
  db: Pick<Db, 'lineReply'>;
  clock: Clock;
  replyTokenMaxAgeSeconds: number;
  logger: Logger;
  /** line_deliveries_total{via}: how many answers went out free (reply) or as paid pushes. */
  metrics?: Pick<Metrics, 'lineDeliveries' | 'chatAnswerCollect'>;
}

export interface DeliverInput {
  lineUserId: string;
  /**
   * Where a push goes: a group's or room's ID (C…/R…) for an answer in a group; default the
   * user's one-to-one chat (`lineUserId`). A reply goes where its token came from.
   */
  to?: string;
  texts: string[];
  replyToken?: string;
  /** When LINE says the event happened: the reply token's age is measured from here. */
  eventTimestamp?: number;
  /** Business identity of this delivery (e.g. the turn's workflow ID): push retry keys derive from it. */
  deliveryId: string;
  /** Image messages sent after the texts (LINE requires https URLs; JPEG or PNG). */
  images?: DeliverImage[];
  /**
   * LINE message objects (quick replies, Flex cards; domain/line-ui) sent after the texts and
   * before the images. Built by the product itself, so sent as they are.
   */
  messages?: messagingApi.Message[];
  /**
   * A reply or nothing: when the token is too old or refused, nothing is pushed (the tap flow's
   * notice, worth sending only for free). The result's `via` is then `none`.
   */
  replyOnly?: boolean;
  /** The tap flow's answer (workflows/chat-turn-collect.ts): counted in chat_answer_collect_total. */
  collect?: CollectDelivery;
}

/** How a slow answer announced by a notice went out: after the tap, or pushed without one. */
export type CollectDelivery = 'tapped' | 'pushed_no_tap' | 'pushed_new_message';

/** A LINE image message: the full image and its preview (≤1 MB; defaults to the full image). */
export interface DeliverImage {
  originalContentUrl: string;
  previewImageUrl?: string;
}

/** Texts, message objects, then images, in batches of at most 5 (one reply or push call each). */
export function toDeliveryBatches(
  texts: readonly string[],
  images: readonly DeliverImage[] = [],
  messages: readonly messagingApi.Message[] = [],
): messagingApi.Message[][] {
  if (images.length === 0 && messages.length === 0) return toMessageBatches(texts);
  const all: messagingApi.Message[] = [
    ...toMessageBatches(texts).flat(),
    ...messages,
    ...images.map((i): messagingApi.ImageMessage => ({
      type: 'image',
      originalContentUrl: i.originalContentUrl,
      previewImageUrl: i.previewImageUrl ?? i.originalContentUrl,
    })),
  ];
  const batches: messagingApi.Message[][] = [];
  for (let i = 0; i < all.length; i += MAX_MESSAGES_PER_CALL) {
    batches.push(all.slice(i, i + MAX_MESSAGES_PER_CALL));
  }
  return batches;
}

export interface DeliverResult {
  via: 'reply' | 'push' | 'reply+push' | 'none';
  calls: number;
}

/** A stable UUID for LINE's X-Line-Retry-Key: the same delivery part always gets the same key. */
export function retryKeyFor(deliveryId: string, part: number): string {
  const h = createHash('sha256').update(`${deliveryId}#${part}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function createLineMessagingActivities(deps: LineMessagingDeps) {
  const { client, db, clock, logger } = deps;

  /** False when LINE had already accepted this push (an earlier run of the same delivery). */
  async function push(
    lineUserId: string,
    messages: messagingApi.Message[],
    retryKey: string,
  ): Promise<boolean> {
    try {
      await client.pushMessage({ to: lineUserId, messages }, retryKey);
      return true;
    } catch (err) {
      // 409: LINE already accepted a push with this retry key: it was delivered once.
      if (err instanceof HTTPFetchError && err.status === 409) return false;
      throw err;
    }
  }

  // LINE's 4xx (except 408/409/429) fail the delivery for good: the same request is refused again.
  return withFailureClassification({
    /**
     * Replies with the reply token while it is young enough, otherwise (or for the 6th+ message)
     * pushes. Reply tokens are single use and have no idempotency key: when a retried attempt
     * finds its token rejected, the earlier attempt used it, so that part counts as delivered.
     */
    async deliverMessages(input: DeliverInput): Promise<DeliverResult> {
      const batches = toDeliveryBatches(input.texts, input.images, input.messages);
      let via: DeliverResult['via'] = 'push';
      let calls = 0;
      let first = 0;
      /** Parts this run delivered itself (not found delivered by an earlier run). */
      let sentNow = 0;
      const ageSeconds =
        input.eventTimestamp !== undefined
          ? (clock.now().getTime() - input.eventTimestamp) / 1000
          : 0;
      // This delivery may have replied before and be running again (its worker died before the
      // result was recorded, or its session was reset): a reply token works once, and pushing
      // the first part now would show the user the same answer twice. Looked up only when the
      // token cannot be used, so a first delivery costs no extra read.
      const repliedBefore = async () =>
        (await db.lineReply.findUnique({ where: { deliveryId: input.deliveryId } })) !== null;
      if (input.replyToken && ageSeconds < deps.replyTokenMaxAgeSeconds && batches[0]) {
        try {
          await client.replyMessage({ replyToken: input.replyToken, messages: batches[0] });
          await db.lineReply.createMany({
            data: [{ deliveryId: input.deliveryId }],
            skipDuplicates: true,
          });
          via = 'reply';
          first = 1;
          calls++;
          sentNow++;
        } catch (err) {
          if (!(err instanceof HTTPFetchError) || err.status !== 400) throw err;
          if (activityAttempt() > 1 || (await repliedBefore())) {
            logger.warn(
              { deliveryId: input.deliveryId },
              'reply token already used by an earlier attempt',
            );
            via = 'reply';
            first = 1;
          } else {
            logger.info({ deliveryId: input.deliveryId }, 'reply token rejected; pushing instead');
          }
        }
      } else if (input.replyToken && (await repliedBefore())) {
        // Too old to reply now, but this delivery replied when it first ran.
        via = 'reply';
        first = 1;
      }
      if (input.replyOnly && via !== 'reply') return { via: 'none', calls };
      for (let i = first; i < batches.length; i++) {
        const pushed = await push(
          input.to ?? input.lineUserId,
          batches[i] as messagingApi.Message[],
          retryKeyFor(input.deliveryId, i),
        );
        calls++;
        if (pushed) sentNow++;
        if (via === 'reply') via = 'reply+push';
      }
      // Once per delivery: a run again that finds every part delivered by an earlier run (the
      // reply recorded, pushes refused by their retry key) is not counted again.
      if (sentNow > 0) {
        deps.metrics?.lineDeliveries.inc({ via });
        // A tap whose token had aged is still `tapped`: the user collected it (LINE pushed it).
        if (input.collect) deps.metrics?.chatAnswerCollect.inc({ result: input.collect });
      }
      return { via, calls };
    },

    /** LINE's typing indicator while the model thinks; cosmetic, so failures are only logged. */
    async showLoading(input: { lineUserId: string; seconds: number }): Promise<void> {
      try {
        await client.showLoadingAnimation({
          chatId: input.lineUserId,
          loadingSeconds: input.seconds,
        });
      } catch (err) {
        logger.warn({ status: (err as HTTPFetchError).status }, 'loading animation failed');
      }
    },
  });
}

export type LineMessagingActivities = ReturnType<typeof createLineMessagingActivities>;
