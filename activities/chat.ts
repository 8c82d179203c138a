import { ApplicationFailure } from '@temporalio/activity';
import type { messagingApi } from '@line/bot-sdk';
import OpenAI from 'openai';
import type { AppConfig } from '../config';
import type { Catalog } from '../config/catalog';
import { messageTooLongText } from '../domain/chat-texts';
import type { Clock } from '../domain/clock';
import { matchCannedReply } from '../domain/commands';
import { collectSettingsOf, type CollectSettings } from '../domain/line-ui/collect';
import { IMAGE_GONE_TEXT } from '../domain/image-question';
import {
  estimateInputPoints,
  estimateTokens,
  priceUsage,
  type TranscriptionUsageRecord,
  type UsageRecord,
} from '../domain/pricing';
import type { Db, Tx } from '../lib/db';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/metrics';
import { currentActivity } from './support/context';
import type { CheckoutLinks } from '../services/checkout';
import { effectivePlan } from '../ledger/users';
import { type UsageView } from '../domain/daily-limit';
import { findOrCreateUser } from '../services/users';
import { archiveTurn, historyRows } from '../services/chat-archive';
import type { Conversation } from '../domain/line-events';
import { sanitizeText } from '../domain/sanitize-text';
import { withFailureClassification } from './support/failures';
import type { DeliverInput } from './line-messaging';
import { createChatCommandActivities } from './chat-commands';
import { createChatDeliveryActivities, type TurnRefundLedger } from './chat-delivery';
import { toFailure } from './ledger';
import type { ReserveTurnInput, ReserveTurnResult } from '../ledger/types';
import type { StampObjects } from '../services/stamp-objects';
import { chooseTurnTier, findQuestionPhoto, withPhoto, type TurnImage } from './chat-vision';

/** What the chat needs from the ledger (implemented in ledger/). */
export interface ChatLedger {
  settleTurn(
    input: {
      turnId: string;
      userId: string;
      records: UsageRecord[];
      rawUsage: unknown;
      metadata: Record<string, unknown>;
    },
    alsoInTransaction?: (tx: Tx) => Promise<void>,
  ): Promise<{ pointsCharged: number; alreadySettled: boolean }>;
  reserveTurn(input: ReserveTurnInput): Promise<ReserveTurnResult>;
  getUsage(userId: string): Promise<UsageView>;
  getBalance(userId: string): Promise<{ balance: number }>;
  refundTurn: TurnRefundLedger['refundTurn'];
}

/** Checkout links for the buy command and the insufficient-points reply (services/checkout.ts). */
export type { CheckoutLinks } from '../services/checkout';

export interface ChatDeps {
  config: AppConfig;
  db: Db;
  ledger: ChatLedger;
  llm: Record<string, OpenAI>;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  checkout?: CheckoutLinks;
  /** LINE delivery, for the busy reply to messages beyond a user's waiting cap. */
  line?: {
    deliverMessages(input: DeliverInput): Promise<unknown>;
    /** LINE's typing indicator, started by the merged prepare-and-reserve step. */
    showLoading?(input: { lineUserId: string; seconds: number }): Promise<void>;
  };
  /** The stamp photos' bucket, where a question about a photo finds it (activities/chat-vision). */
  photos?: StampObjects;
}

/** A message the session did not keep (beyond the waiting caps): enough to answer it, no text. */
export interface RefusedEventRef {
  webhookEventId: string;
  lineUserId: string;
  /** A group's or room's ID: the busy reply goes there (a group session's overflow). */
  to?: string;
  replyToken?: string;
  timestamp: number;
}

/** The session's caps on waiting messages (config/catalog.json chat.maxWaiting*). */
export interface SessionLimits {
  maxWaitingMessages: number;
  maxWaitingBytes: number;
}

/** Where a turn gave up and why, for its failure metric and log line (never message text). */
export interface TurnFailure {
  turnId: string;
  step: string;
  errorType: string;
}

/**
 * A command's answer: texts (as recorded by turns from before), or LINE message objects (the
 * help's quick replies, the balance card, the product carousel and a product's payment card).
 */
export type CommandAnswer = string[] | { messages: messagingApi.Message[] };

export type ChatMessage = { role: 'system' | 'user' | 'assistant'; content: string };

/** Which tier a turn asks instead of its plan's (「検索 …」: the plan's search tier). */
export type TierOverride = 'search';

export type PreparedTurn =
  | {
      kind: 'reply';
      texts: string[];
      userId: string;
      /** LINE message objects instead of the texts (a search refusal's upgrade buttons). */
      messages?: messagingApi.Message[];
      /** Set when the reply refuses the turn (free): seed 004's code, or the photo is gone. */
      refusal?: 'PLAN_RESTRICTION' | 'IMAGE_GONE';
    }
  | {
      kind: 'llm';
      userId: string;
      tierId: string;
      fallbackTierId?: string;
      messages: ChatMessage[];
      estimatePoints: number;
      /** How long LINE shows its loading animation while the model thinks (catalog). */
      loadingSeconds: number;
      /** How long the settled answer may stay undelivered before its charge is put back. */
      maxDeliveryWaitSeconds?: number;
      /** The tap flow's notice and wait (absent in turns prepared by older workers). */
      collect?: CollectSettings;
    };

export interface GeneratedReply {
  content: string;
  tierId: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  searchCount: number;
  rawUsage: unknown;
}

/** History newest-first until the token budget is spent, then back in chronological order. */
export function fitHistory(
  rows: ReadonlyArray<{ role: string; content: string; tokenCount: number }>,
  budget: number,
): ChatMessage[] {
  const kept: ChatMessage[] = [];
  let used = 0;
  for (const row of rows) {
    const cost = row.tokenCount || estimateTokens(row.content);
    if (used + cost > budget) break;
    used += cost;
    kept.push({ role: row.role as ChatMessage['role'], content: row.content });
  }
  return kept.reverse();
}

function tierOf(catalog: Catalog, tierId: string) {
  const tier = catalog.modelTiers[tierId];
  if (!tier) throw ApplicationFailure.nonRetryable(`unknown model tier ${tierId}`, 'UNKNOWN_MODEL');
  return tier;
}

/** effectivePlan, with the default plan for a plan ID the catalog no longer has (as before). */
function effectivePlanOrDefault(
  user: Parameters<typeof effectivePlan>[0],
  catalog: Parameters<typeof effectivePlan>[1],
  now: Date,
) {
  const planId = catalog.plans[user.planId] ? user.planId : catalog.defaultPlan;
  return effectivePlan({ ...user, planId }, catalog, now).plan;
}

export function createChatActivities(deps: ChatDeps) {
  const { db, config, ledger, clock, logger, metrics } = deps;
  const { catalog } = config;

  /**
   * Everything a turn needs before money is involved: the user, canned replies, the prompt
   * (system prompt + history within the token budget) and the input-cost estimate to reserve.
   */
  async function prepare(input: {
    lineUserId: string;
    text: string;
    tierOverride?: TierOverride;
    image?: TurnImage;
    /** A group's or room's turn (patch chat-turn-group): the group's history, default prompt. */
    conversation?: Conversation;
  }): Promise<PreparedTurn> {
    const user = await findOrCreateUser(db, input.lineUserId);
    const max = catalog.chat.maxInputCharacters;
    if (Array.from(input.text).length > max) {
      return { kind: 'reply', userId: user.id, texts: [messageTooLongText(max)] };
    }
    const search = input.tierOverride === 'search';
    const vision = Boolean(input.image);
    // A search or a photo question is the model's, even when it reads like a greeting.
    const canned = !search && !vision && matchCannedReply(input.text, catalog.cannedReplies);
    if (canned) {
      metrics.chatTurns.inc({ outcome: 'canned' });
      return { kind: 'reply', userId: user.id, texts: [canned] };
    }
    // The plan in force now: a lapsed paid period falls back to the free plan's model tier
    // as well as its limits (ledger/users.ts effectivePlan; the ledger charges by the same).
    const plan = effectivePlanOrDefault(user, catalog, clock.now());
    const choice = chooseTurnTier(catalog, plan, { search, vision });
    if (choice.kind === 'refused') {
      // Refused before any hold or daily slot: nothing to charge, nothing to release.
      metrics.businessErrors.inc({ code: 'PLAN_RESTRICTION' });
      metrics.chatTurns.inc({ outcome: `refused:${choice.feature}` });
      const { message } = choice;
      return {
        kind: 'reply',
        userId: user.id,
        texts: [message.text],
        messages: [message],
        refusal: 'PLAN_RESTRICTION',
      };
    }
    if (input.image && !(await findQuestionPhoto(deps, input.lineUserId, input.image.queueId))) {
      metrics.chatTurns.inc({ outcome: 'image_gone' });
      return { kind: 'reply', userId: user.id, texts: [IMAGE_GONE_TEXT], refusal: 'IMAGE_GONE' };
    }
    const { tierId, tier } = choice;
    const group = input.conversation?.id;
    const rows = await historyRows(db, user, group, catalog.chat.historyMaxMessages);
    const system = (!group && user.customPrompt) || catalog.chat.defaultSystemPrompt;
    const messages: ChatMessage[] = [
      { role: 'system', content: system },
      ...fitHistory(rows, catalog.chat.historyTokenBudget),
      { role: 'user', content: input.text },
    ];
    const inputTokens =
      messages.reduce((n, m) => n + estimateTokens(m.content), 0) + choice.extraInputTokens;
    return {
      kind: 'llm',
      userId: user.id,
      tierId,
      fallbackTierId: choice.fallbackTierId,
      messages,
      estimatePoints: estimateInputPoints(tier, catalog.rates, inputTokens) + choice.extraPoints,
      loadingSeconds: catalog.chat.loadingSeconds,
      maxDeliveryWaitSeconds: catalog.chat.maxDeliveryWaitSeconds,
      collect: collectSettingsOf(catalog.chat),
    };
  }

  return withFailureClassification({
    ...createChatDeliveryActivities({ catalog, ledger, logger, metrics }),
    ...createChatCommandActivities(deps),

    prepareChatTurn: prepare,

    /**
     * The prepare step, the reserve of its estimate and the start of LINE's loading animation in
     * one local activity (patch chat-turn-prepare-reserve): two steps and two activations of the
     * turn fewer than prepare, reserve and loading apart. Idempotent by the turn ID as both
     * halves are: a retry finds the user and the hold already there. A refusal (daily limit,
     * points) fails as the reserve did, with the ledger's code; the animation is cosmetic and
     * not awaited (showLoading only logs its failures).
     */
    async prepareAndReserveTurn(input: {
      lineUserId: string;
      text: string;
      turnId: string;
      /** 「検索 …」 (patch chat-turn-search): the plan's search tier, if it has one. */
      tierOverride?: TierOverride;
      /** A question about a waiting photo (patch chat-turn-vision): the plan's vision tier. */
      image?: TurnImage;
      /** A group's or room's turn (patch chat-turn-group): no loading animation there. */
      conversation?: Conversation;
    }): Promise<PreparedTurn> {
      const prepared = await prepare(input);
      if (prepared.kind !== 'llm') return prepared;
      try {
        await ledger.reserveTurn({
          turnId: input.turnId,
          userId: prepared.userId,
          estimatePoints: prepared.estimatePoints,
        });
      } catch (err) {
        throw toFailure(err, (code) => metrics.businessErrors.inc({ code }));
      }
      // LINE shows the loading animation in one-to-one chats only.
      if (!input.conversation)
        void deps.line?.showLoading?.({
          lineUserId: input.lineUserId,
          seconds: prepared.loadingSeconds,
        });
      return prepared;
    },

    /**
     * One call to the tier's OpenAI-compatible endpoint. 429, 5xx, timeouts and connection errors
     * are thrown as they are, so Temporal retries them; other 4xx mean the request itself is
     * wrong, and retrying cannot help.
     */
    async generateReply(input: {
      tierId: string;
      messages: ChatMessage[];
      /** A question about the user's waiting photo: loaded here, never carried in history. */
      image?: TurnImage & { lineUserId: string };
    }): Promise<GeneratedReply> {
      const tier = tierOf(catalog, input.tierId);
      const client = deps.llm[input.tierId];
      if (!client)
        throw ApplicationFailure.nonRetryable(
          `no client for tier ${input.tierId}`,
          'UNKNOWN_MODEL',
        );
      // Run as a regular activity, heartbeats let Temporal notice within seconds that a worker
      // died mid-call. As a local activity (the chat turn) the workflow task timeout does that.
      const context = currentActivity();
      const heartbeat = setInterval(() => {
        if (context && !context.info.isLocal) context.heartbeat();
      }, 1000);
      const started = process.hrtime.bigint();
      const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
      try {
        const completion = await client.chat.completions.create({
          model: tier.model,
          messages: await withPhoto(deps, input.messages, input.image),
          max_tokens: catalog.chat.maxOutputTokens,
          // OpenAI's search models take their options here (none needed: defaults).
          ...(tier.dollarPerSearch !== undefined ? { web_search_options: {} } : {}),
        });
        metrics.llmLatency.observe({ model: tier.model, outcome: 'ok' }, seconds());
        const choice = completion.choices[0];
        const usage = completion.usage;
        if (!choice?.message.content || !usage) {
          throw new Error('LLM answered without content or usage');
        }
        const annotations = (choice.message as { annotations?: Array<{ type: string }> })
          .annotations;
        const searched = tier.dollarPerSearch !== undefined && (annotations?.length ?? 0) > 0;
        return {
          // Archived and sent as it is: a NUL or lone surrogate would fail both for good.
          content: sanitizeText(choice.message.content, Number.MAX_SAFE_INTEGER),
          tierId: input.tierId,
          model: completion.model || tier.model,
          inputTokens: usage.prompt_tokens,
          outputTokens: usage.completion_tokens,
          searchCount: searched ? 1 : 0,
          rawUsage: usage,
        };
      } catch (err) {
        metrics.llmLatency.observe({ model: tier.model, outcome: 'error' }, seconds());
        if (
          err instanceof OpenAI.APIError &&
          err.status &&
          err.status < 500 &&
          err.status !== 429 &&
          err.status !== 408
        ) {
          throw ApplicationFailure.nonRetryable(
            `LLM rejected the request (${err.status})`,
            'LLM_REJECTED',
          );
        }
        throw err;
      } finally {
        clearInterval(heartbeat);
      }
    },

    /**
     * Settles the turn atomically: usage records and charge (ledger), both messages in the chat
     * archive and the user's counters, all in one transaction, once per turn.
     */
    async settleChatTurn(input: {
      turnId: string;
      userId: string;
      userText: string;
      reply: GeneratedReply;
      /** A voice turn's transcription (activities/chat-voice.ts): charged with the answer. */
      transcription?: TranscriptionUsageRecord;
      /** A group's or room's turn: archived as the group's history, not the user's own. */
      conversation?: Conversation;
    }): Promise<{ pointsCharged: number; answer: string }> {
      const { reply } = input;
      const tier = tierOf(catalog, reply.tierId);
      const priced = priceUsage({
        tier,
        rates: catalog.rates,
        inputTokens: reply.inputTokens,
        outputTokens: reply.outputTokens,
        searchCount: reply.searchCount,
      });
      const result = await ledger.settleTurn(
        {
          turnId: input.turnId,
          userId: input.userId,
          records: input.transcription ? [...priced.records, input.transcription] : priced.records,
          rawUsage: reply.rawUsage,
          metadata: {
            model: reply.model,
            tier: reply.tierId,
            turnId: input.turnId,
            ...(input.transcription
              ? {
                  transcription: input.transcription.model,
                  audioSeconds: input.transcription.audioSeconds,
                }
              : {}),
          },
        },
        async (tx) => {
          await archiveTurn(tx, {
            ...input,
            answer: reply.content,
            answerTokens: reply.outputTokens,
            now: clock.now(),
            conversationId: input.conversation?.id,
          });
          await tx.user.update({
            where: { id: input.userId },
            data: {
              tokensUsed: { increment: reply.inputTokens + reply.outputTokens },
              messageCount: { increment: 1 },
            },
          });
        },
      );
      if (!result.alreadySettled) {
        metrics.pointsCharged.inc({ model: reply.model }, result.pointsCharged);
        metrics.chatTurns.inc({ outcome: 'answered' });
        return { pointsCharged: result.pointsCharged, answer: reply.content };
      }
      // Settled before (the turn is running again after a crash, and the model was asked
      // again): the user gets the answer that was charged and archived, not the new one.
      const archived = await db.chatArchive.findFirst({
        where: { turnId: input.turnId, role: 'assistant' },
        select: { content: true },
      });
      return { pointsCharged: result.pointsCharged, answer: archived?.content ?? reply.content };
    },

    /** The session's waiting caps, read once per session run (the run carries them on). */
    async sessionLimits(): Promise<SessionLimits> {
      return {
        maxWaitingMessages: catalog.chat.maxWaitingMessages,
        maxWaitingBytes: catalog.chat.maxWaitingBytes,
      };
    },

    /**
     * The busy reply to messages beyond a user's waiting cap: free and final (the message is
     * not answered later). Each delivery is keyed by its event, so a retry sends nothing twice;
     * one that LINE refuses is logged and the others still go out.
     */
    async refuseWhileBusy(input: { refs: RefusedEventRef[] }): Promise<{ answered: number }> {
      let answered = 0;
      const line = deps.line;
      if (!line) logger.warn('busy reply: no LINE delivery configured');
      for (const ref of line ? input.refs : []) {
        try {
          await line!.deliverMessages({
            lineUserId: ref.lineUserId,
            ...(ref.to ? { to: ref.to } : {}),
            texts: [catalog.chat.busyReply],
            replyToken: ref.replyToken,
            eventTimestamp: ref.timestamp,
            deliveryId: `busy-${ref.webhookEventId}`,
          });
          answered++;
        } catch (err) {
          logger.warn(
            { webhookEventId: ref.webhookEventId, error: (err as Error).name },
            'busy reply failed',
          );
        }
      }
      metrics.chatEventsRefused.inc({ reason: 'waiting_cap' }, input.refs.length);
      return { answered };
    },
  });
}

export type ChatActivities = ReturnType<typeof createChatActivities>;
