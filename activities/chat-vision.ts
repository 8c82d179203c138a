import { ApplicationFailure } from '@temporalio/activity';
import type { messagingApi } from '@line/bot-sdk';
import type OpenAI from 'openai';
import sharp from 'sharp';
import type { Catalog, ModelTier, Plan } from '../config/catalog';
import type { Clock } from '../domain/clock';
import { VISION_IMAGE_TOKEN_ESTIMATE, VISION_MAX_SIDE } from '../domain/image-question';
import { searchNotInPlanMessage } from '../domain/line-ui/search';
import { visionNotInPlanMessage } from '../domain/line-ui/vision';
import { priceUsage } from '../domain/pricing';
import { AWAITING_MESSAGES } from '../domain/stamp-queue';
import { stampJobPrefix } from '../domain/stamp-keys';
import { isUuid } from '../domain/uuid';
import type { Db } from '../lib/db';
import { RENDER_MAX_INPUT_PIXELS } from '../lib/stickers/input';
import type { StampObjects } from '../services/stamp-objects';

/**
 * The tier a turn asks (the plan's, its search tier for 「検索 …」, its vision tier for a
 * question about a photo) and the photo such a question is about. The photo never enters the
 * workflow's history: the turn carries the waiting photo's queue ID, and the model step loads
 * the bytes from S3 here, checks they are the user's, scales them down and sends them as an
 * `image_url` part of the user's message.
 */

/** A question about the user's waiting photo (its queue ID): the plan's vision tier, photo attached. */
export interface TurnImage {
  queueId: string;
}

/** What a turn asks for beyond its plan's tier. */
export interface TurnAsk {
  search: boolean;
  /** A question about the waiting photo: the plan's vision tier, the image held too. */
  vision: boolean;
}

export type TurnTier =
  | {
      kind: 'refused';
      /** For the metric: which feature the plan lacks. */
      feature: 'search' | 'vision';
      message: messagingApi.TextMessage;
    }
  | {
      kind: 'tier';
      tierId: string;
      tier: ModelTier;
      fallbackTierId?: string;
      /** Held beyond the prompt's input: the search tier's one search. */
      extraPoints: number;
      /** Input tokens beyond the prompt's text: the image (the provider reports the real count). */
      extraInputTokens: number;
    };

/** The plan's tier for what the turn asks, or the refusal (free) with the plans that have it. */
export function chooseTurnTier(catalog: Catalog, plan: Plan, ask: TurnAsk): TurnTier {
  if (ask.search && !plan.searchTier)
    return { kind: 'refused', feature: 'search', message: searchNotInPlanMessage(catalog, plan) };
  if (ask.vision && !plan.visionTier)
    return { kind: 'refused', feature: 'vision', message: visionNotInPlanMessage(catalog, plan) };
  const tierId =
    ask.search && plan.searchTier
      ? plan.searchTier
      : ask.vision && plan.visionTier
        ? plan.visionTier
        : plan.modelTier;
  const tier = catalog.modelTiers[tierId];
  if (!tier) throw ApplicationFailure.nonRetryable(`unknown model tier ${tierId}`, 'UNKNOWN_MODEL');
  // A question about a photo falls back only to a tier that sees images too.
  const fallback = tier.fallbackTier;
  const fallbackTierId =
    fallback && (!ask.vision || catalog.modelTiers[fallback]?.vision) ? fallback : undefined;
  // A search tier searches on every call: its one search is held with the input, so a user
  // who cannot pay for it is refused before the call (INSUFFICIENT_POINTS), not after.
  const extraPoints = ask.search
    ? priceUsage({ tier, rates: catalog.rates, inputTokens: 0, outputTokens: 0, searchCount: 1 })
        .points
    : 0;
  return {
    kind: 'tier',
    tierId,
    tier,
    ...(fallbackTierId ? { fallbackTierId } : {}),
    extraPoints,
    extraInputTokens: ask.vision ? VISION_IMAGE_TOKEN_ESTIMATE : 0,
  };
}

/** A photo a question may be about: the user's, awaiting its texts, not past due, still stored. */
export async function findQuestionPhoto(
  { db, clock, photos }: { db: Db; clock: Clock; photos?: StampObjects },
  lineUserId: string,
  queueId: string,
): Promise<{ key: string } | null> {
  if (!isUuid(queueId)) return null;
  const row = await db.lineStampGenerateQueue.findFirst({
    where: {
      id: queueId,
      user: { lineUserId },
      status: AWAITING_MESSAGES,
      deletedAt: null,
      expiresAt: { gt: clock.now() },
    },
    select: { imageUri: true, userId: true },
  });
  // The key is ours (the intake wrote it), but only one under this user's and job's prefix is read.
  if (!row || !row.imageUri.startsWith(stampJobPrefix(row.userId, queueId))) return null;
  // A row still waiting whose object is gone (purged, or being removed) is gone too.
  if (photos && !(await photos.exists(row.imageUri))) return null;
  return { key: row.imageUri };
}

/** The photo as the model sees it: upright, at most VISION_MAX_SIDE px, JPEG, no metadata. */
export async function visionJpeg(bytes: Buffer): Promise<Buffer> {
  return sharp(bytes, { limitInputPixels: RENDER_MAX_INPUT_PIXELS, failOn: 'truncated' })
    .rotate()
    .resize({
      width: VISION_MAX_SIDE,
      height: VISION_MAX_SIDE,
      fit: 'inside',
      withoutEnlargement: true,
    })
    .jpeg({ quality: 85 })
    .toBuffer();
}

export type ModelMessage = OpenAI.Chat.Completions.ChatCompletionMessageParam;

/**
 * The turn's messages, with the photo attached to the last (the user's) message when the turn
 * asks about one. A photo gone since prepare (expired, cancelled, replaced, purged) is
 * IMAGE_GONE: final, the turn releases its hold and apologises.
 */
export async function withPhoto(
  deps: { db: Db; clock: Clock; photos?: StampObjects },
  messages: ReadonlyArray<{ role: 'system' | 'user' | 'assistant'; content: string }>,
  ref: (TurnImage & { lineUserId: string }) | undefined,
): Promise<ModelMessage[]> {
  if (!ref) return [...messages];
  const gone = () => ApplicationFailure.nonRetryable('the photo asked about is gone', 'IMAGE_GONE');
  if (!deps.photos) throw gone();
  const photo = await findQuestionPhoto(deps, ref.lineUserId, ref.queueId);
  const bytes = photo ? await deps.photos.get(photo.key) : null;
  if (!bytes) throw gone();
  const url = `data:image/jpeg;base64,${(await visionJpeg(bytes)).toString('base64')}`;
  const last = messages.at(-1);
  if (last?.role !== 'user') throw new Error('a vision turn ends with the user message');
  return [
    ...messages.slice(0, -1),
    {
      role: 'user',
      content: [
        { type: 'text', text: last.content },
        { type: 'image_url', image_url: { url } },
      ],
    },
  ];
}
