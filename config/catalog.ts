import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError, describeIssues } from './env';

/**
 * Business configuration as data: plans, model tiers and prices, products, canned replies,
 * user-facing texts and limits. Validated once at start-up; a bad file stops the process.
 */

const positiveInt = z.number().int().positive();
const nonNegative = z.number().nonnegative();
const id = z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be lower_snake_case');

export const ModelTierSchema = z.object({
  model: z.string().min(1),
  platform: z.string().min(1),
  dollarPerMillionInputTokens: nonNegative,
  dollarPerMillionOutputTokens: nonNegative,
  dollarPerSearch: nonNegative.optional(),
  /**
   * The model accepts images as `image_url` content parts (OpenAI's vision format). Only such
   * a tier may be a plan's `visionTier`, and a vision turn falls back only to another one.
   */
  vision: z.boolean().optional(),
  fallbackTier: id.optional(),
});

/**
 * Voice messages (issue #14): transcribed through the OpenAI-compatible /audio/transcriptions
 * of a model tier's endpoint, then answered as a chat turn. Without it, audio gets the
 * "not supported yet" reply.
 */
export const VoiceSchema = z.object({
  /** The tier whose endpoint (OPENAI_BASE_URL_<TIER>, OPENAI_API_KEY_<TIER>) transcribes. */
  endpointTier: id,
  model: z.string().min(1),
  platform: z.string().min(1),
  /** Per second of audio, as billed (OpenAI whisper-1: $0.006 per minute = 0.0001). */
  dollarPerAudioSecond: nonNegative,
  /** Longer recordings are refused before download (LINE reports the duration). */
  maxSeconds: positiveInt.max(1800),
  /** The provider's upload limit (OpenAI: 25 MB). */
  maxBytes: positiveInt.max(26_214_400).default(26_214_400),
  /** ISO-639-1 hint for the model, e.g. `ja`; absent = detected. */
  language: z
    .string()
    .regex(/^[a-z]{2}$/)
    .optional(),
  /** Said (free) when the audio could not be read or held no speech. */
  notUnderstood: z.string().min(1).max(1000),
  /** Said (free) for a recording over `maxSeconds`; `{seconds}` = the limit. */
  tooLong: z.string().min(1).max(1000),
});

export const PlanSchema = z.object({
  name: z.string().min(1),
  /** -1 = unlimited, 0 = may not chat (PLAN_RESTRICTION). */
  dailyChatLimit: z.number().int().min(-1),
  modelTier: id,
  /**
   * The tier 「検索 …」 asks (one priced per search: `dollarPerSearch`). Absent = web search is
   * not in the plan: the user is told which subscriptions include it, and nothing is charged.
   */
  searchTier: id.optional(),
  /**
   * The tier a question about a photo asks (「この画像について質問」): one with `vision: true`.
   * Absent = not in the plan: the user is told which subscriptions include it, nothing charged.
   */
  visionTier: id.optional(),
});

const PointsProduct = z.object({
  kind: z.literal('points'),
  name: z.string().min(1),
  priceYen: positiveInt,
  points: positiveInt,
  expiresInDays: positiveInt,
});
const TicketsProduct = z.object({
  kind: z.literal('tickets'),
  name: z.string().min(1),
  priceYen: positiveInt,
  tickets: positiveInt,
});
const SubscriptionProduct = z.object({
  kind: z.literal('subscription'),
  name: z.string().min(1),
  priceYen: positiveInt,
  plan: id,
  monthlyPoints: z.number().int().nonnegative(),
  pointsExpireInDays: positiveInt,
});
export const ProductSchema = z.discriminatedUnion('kind', [
  PointsProduct,
  TicketsProduct,
  SubscriptionProduct,
]);

/** The notice's lead over the reply token's end (the turn's timer may fire ~8 s late). */
export const COLLECT_NOTICE_MARGIN_SECONDS = 10;
/** The tap wait and the delivery wait together, well inside a chat turn's 1-hour run timeout. */
export const COLLECT_AND_DELIVERY_MAX_SECONDS = 2400;

/** Groups and rooms, when config/catalog.json has no `groups` (catalogs from before). */
const GROUP_DEFAULTS = {
  prefixes: ['@AI', 'AI、'],
  greeting:
    'グループに招待いただきありがとうございます。私に質問するときは、メンション（@）するか、メッセージの最初に「AI、」と付けてください。回答ごとに、質問した方のポイントと1日の利用回数を使います。',
  personalCommand:
    'この操作は個人のトーク（私との1対1のトーク）でご利用ください。グループでは質問と「検索 …」にお答えします。',
};

export const CatalogSchema = z
  .object({
    rates: z.object({ yenPerDollar: z.number().positive(), pointsPerYen: z.number().positive() }),
    modelTiers: z.record(id, ModelTierSchema),
    plans: z.record(id, PlanSchema),
    defaultPlan: id,
    signupPoints: z.object({ points: z.number().int().nonnegative(), expiresInDays: positiveInt }),
    chat: z.object({
      maxInputCharacters: positiveInt,
      maxOutputTokens: positiveInt,
      historyTokenBudget: positiveInt,
      historyMaxMessages: positiveInt,
      llmTimeoutMs: positiveInt,
      replyTokenMaxAgeSeconds: positiveInt,
      loadingSeconds: z
        .number()
        .int()
        .min(5)
        .max(60)
        .refine((n) => n % 5 === 0, 'must be a multiple of 5 (LINE loading animation)'),
      defaultSystemPrompt: z.string().min(1),
      maxSystemPromptCharacters: positiveInt,
      /**
       * Messages one user may have waiting while a turn runs, and their texts' UTF-8 bytes:
       * what the session carries across continue-as-new stays small whatever arrives. Beyond
       * either cap an event gets `busyReply` (free: no points, no daily slot) and is dropped.
       */
      maxWaitingMessages: positiveInt.max(100),
      maxWaitingBytes: positiveInt.max(1_000_000),
      busyReply: z.string().min(1).max(5000),
      /**
       * How long a turn's settled answer may stay undelivered (LINE down or refusing) before
       * the turn gives up: the charge is put back and the user told (`undeliveredReply`,
       * `{points}` = the points returned).
       */
      maxDeliveryWaitSeconds: positiveInt.max(3600).default(120),
      undeliveredReply: z
        .string()
        .min(1)
        .max(5000)
        .default(
          '申し訳ありません。回答をお届けできなかったため、今回の{points}ポイントはお返ししました。もう一度送ってください。',
        ),
      /**
       * The tap flow (workflows/chat-turn-collect.ts): an answer not ready this long after the
       * message gets `answerNotice` on the message's reply token (free) with a
       * `collectButtonLabel` postback button; the tap's own token then carries the answer, free.
       * At least COLLECT_NOTICE_MARGIN_SECONDS under replyTokenMaxAgeSeconds: the model step
       * (a local activity) holds the turn's timer up to ~8 s.
       */
      answerNoticeAfterSeconds: positiveInt.max(300).default(35),
      /**
       * After the answer is ready, how long the turn waits for the tap before pushing it. The
       * turn's run timeout (1 hour) bounds model + this wait + maxDeliveryWaitSeconds.
       */
      collectWaitSeconds: positiveInt.max(1800).default(600),
      answerNotice: z
        .string()
        .min(1)
        .max(5000)
        .default('回答を作成しています。できあがったら下の「回答を受け取る」を押してください。'),
      /** LINE's quick-reply label: at most 20 characters. */
      collectButtonLabel: z.string().min(1).max(20).default('回答を受け取る'),
      /** A 「回答を受け取る」 tap whose turn is over (answered already, or pushed): free. */
      answerAlreadySent: z
        .string()
        .min(1)
        .max(1000)
        .default('回答はお送り済みです。トークの上のほうをご確認ください。'),
    }),
    products: z.record(id, ProductSchema),
    voice: VoiceSchema.optional(),
    /**
     * LINE notices of an operator's change (workflows/admin-adjust-points.ts,
     * workflows/admin-plan-notice.ts). `{points}` = the points (absolute), `{balance}` = the
     * balance after; `{plan}` = the new plan's name.
     */
    adminNotices: z
      .object({
        pointsGranted: z.string().min(1).max(1000),
        pointsTakenBack: z.string().min(1).max(1000),
        planChanged: z.string().min(1).max(1000),
      })
      .default({
        pointsGranted:
          '運営より{points}ポイントを付与しました。現在の残高は{balance}ポイントです。',
        pointsTakenBack:
          '運営により{points}ポイントを差し引きました。現在の残高は{balance}ポイントです。ご不明な点はお問い合わせください。',
        planChanged: '運営によりご利用プランを「{plan}」に変更しました。',
      }),
    cannedReplies: z.array(
      z.object({ patterns: z.array(z.string().min(1)).min(1), reply: z.string().min(1).max(5000) }),
    ),
    stamp: z.object({
      maxMessages: positiveInt.max(40),
      maxMessageLength: positiveInt,
      maxUploadBytes: positiveInt,
      maxInputPixels: positiveInt,
      pendingPhotoTtlMinutes: positiveInt,
    }),
    retention: z.object({
      chatArchiveDays: positiveInt,
      usageLogDays: positiveInt,
      deletedUserDays: positiveInt,
      /**
       * Webhook event IDs kept against redelivery, and reply-token deliveries against replay
       * (LINE and Stripe retry for days, not weeks).
       */
      processedEventDays: positiveInt,
      /** Relayed LINE inbox rows (they hold message text): kept only against a late replay. */
      lineInboxHours: positiveInt,
    }),
    /**
     * Groups and rooms (issue #14): the bot answers a text that mentions it or starts with one
     * of `prefixes`; each answer is charged to the member who asked.
     */
    groups: z
      .object({
        /** Matched at the start of the text, case- and width-insensitively (NFKC). */
        prefixes: z.array(z.string().min(1).max(20)).max(10).default(GROUP_DEFAULTS.prefixes),
        /** The join's free greeting: how to call the bot, who pays. */
        greeting: z.string().min(1).max(5000).default(GROUP_DEFAULTS.greeting),
        /** A personal command (残高, 購入, プラン管理 …) in a group: free, the one-to-one chat. */
        personalCommand: z.string().min(1).max(1000).default(GROUP_DEFAULTS.personalCommand),
      })
      .default(GROUP_DEFAULTS),
    /** The LINE inbox relay (api/inbox-relay.ts). */
    inbox: z.object({
      /** An event not handed to its session by then is given up (logged and counted). */
      maxRelayAgeMinutes: positiveInt,
      /** Users whose events are signalled at once. */
      relayConcurrency: positiveInt.max(256),
    }),
    messages: z.object({
      USAGE_LIMIT_EXCEEDED: z.string().min(1),
      PLAN_RESTRICTION: z.string().min(1),
      INSUFFICIENT_POINTS: z.string().min(1),
      SYSTEM_ERROR: z.string().min(1),
      welcome: z.string().min(1),
      /** The free answer to a LINE sticker (no chat turn, no charge). */
      stickerReply: z.string().min(1).max(5000),
      /** The free answer to video, location and file messages (and audio without `voice`). */
      unsupportedMessage: z.string().min(1).max(5000),
      /**
       * Said with every daily-limit and plan refusal, and after a points purchase: points pay
       * for each answer but never add answers to the day (seed 004's limit is the plan's).
       * `{limit}` = the plan's daily count.
       */
      pointsDoNotLiftLimit: z
        .string()
        .min(1)
        .max(1000)
        .default(
          'ポイントは1回ごとの利用料金に使われます。ポイントを購入しても1日の利用回数（{limit}回）は増えません。',
        ),
      /** Leads the subscriptions that lift the limit (quick-reply buttons follow). */
      upgradeOffer: z
        .string()
        .min(1)
        .max(1000)
        .default('回数を増やすには、下のボタンから上位プランにお申し込みください。'),
      /** `プラン管理` for a user with no Stripe customer yet (nothing to manage). */
      noPlanToManage: z
        .string()
        .min(1)
        .max(1000)
        .default(
          'お支払い情報がまだありません。プランのお申し込みは「購入」からどうぞ。お申し込み後は「プラン管理」でプランの変更・解約ができます。',
        ),
      /** 「検索 …」 in a plan without a search tier (free, nothing charged). `{plan}` = its name. */
      searchNotInPlan: z
        .string()
        .min(1)
        .max(1000)
        .default('現在のプラン（{plan}）ではWeb検索（「検索 …」）をご利用いただけません。'),
      /** Leads the subscriptions whose plan includes web search (their buttons follow). */
      searchUpgradeOffer: z
        .string()
        .min(1)
        .max(1000)
        .default('Web検索は、下のボタンのプランでご利用いただけます。'),
      /** A question about a photo in a plan without a vision tier (free). `{plan}` = its name. */
      visionNotInPlan: z
        .string()
        .min(1)
        .max(1000)
        .default('現在のプラン（{plan}）では画像についての質問をご利用いただけません。'),
      /** Leads the subscriptions whose plan includes questions about photos (buttons follow). */
      visionUpgradeOffer: z
        .string()
        .min(1)
        .max(1000)
        .default('画像についての質問は、下のボタンのプランでご利用いただけます。'),
    }),
  })
  .superRefine((c, ctx) => {
    for (const [planId, plan] of Object.entries(c.plans)) {
      if (!c.modelTiers[plan.modelTier])
        ctx.addIssue({
          code: 'custom',
          path: ['plans', planId, 'modelTier'],
          message: `unknown model tier "${plan.modelTier}"`,
        });
      if (plan.searchTier && c.modelTiers[plan.searchTier]?.dollarPerSearch === undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['plans', planId, 'searchTier'],
          message: `"${plan.searchTier}" is not a model tier with a dollarPerSearch price`,
        });
      if (plan.visionTier && c.modelTiers[plan.visionTier]?.vision !== true)
        ctx.addIssue({
          code: 'custom',
          path: ['plans', planId, 'visionTier'],
          message: `"${plan.visionTier}" is not a model tier with vision: true`,
        });
    }
    for (const [tierId, tier] of Object.entries(c.modelTiers)) {
      if (tier.fallbackTier && !c.modelTiers[tier.fallbackTier])
        ctx.addIssue({
          code: 'custom',
          path: ['modelTiers', tierId, 'fallbackTier'],
          message: `unknown model tier "${tier.fallbackTier}"`,
        });
    }
    if (c.voice && !c.modelTiers[c.voice.endpointTier])
      ctx.addIssue({
        code: 'custom',
        path: ['voice', 'endpointTier'],
        message: `unknown model tier "${c.voice.endpointTier}"`,
      });
    if (
      c.chat.answerNoticeAfterSeconds + COLLECT_NOTICE_MARGIN_SECONDS >
      c.chat.replyTokenMaxAgeSeconds
    )
      ctx.addIssue({
        code: 'custom',
        path: ['chat', 'answerNoticeAfterSeconds'],
        message: `must be at least ${COLLECT_NOTICE_MARGIN_SECONDS} s under replyTokenMaxAgeSeconds`,
      });
    if (
      c.chat.collectWaitSeconds + c.chat.maxDeliveryWaitSeconds >
      COLLECT_AND_DELIVERY_MAX_SECONDS
    )
      ctx.addIssue({
        code: 'custom',
        path: ['chat', 'collectWaitSeconds'],
        message: `with maxDeliveryWaitSeconds at most ${COLLECT_AND_DELIVERY_MAX_SECONDS} s (the turn's run timeout is 1 hour)`,
      });
    if (!c.plans[c.defaultPlan])
      ctx.addIssue({ code: 'custom', path: ['defaultPlan'], message: 'unknown plan' });
    for (const [productId, p] of Object.entries(c.products)) {
      if (p.kind === 'subscription' && !c.plans[p.plan])
        ctx.addIssue({
          code: 'custom',
          path: ['products', productId, 'plan'],
          message: `unknown plan "${p.plan}"`,
        });
    }
  });

export type Catalog = z.infer<typeof CatalogSchema>;
export type ModelTier = z.infer<typeof ModelTierSchema>;
export type Plan = z.infer<typeof PlanSchema>;
export type VoiceConfig = z.infer<typeof VoiceSchema>;
export type Product = z.infer<typeof ProductSchema>;

export const DEFAULT_CATALOG_FILE = path.join(__dirname, 'catalog.json');

export function parseCatalog(raw: unknown, source = 'catalog'): Catalog {
  const parsed = CatalogSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error, `${source}: `));
  return parsed.data;
}

export function loadCatalog(file: string = DEFAULT_CATALOG_FILE): Catalog {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError([`CATALOG_FILE (${file}): ${(err as Error).message}`]);
  }
  return parseCatalog(raw, `CATALOG_FILE (${path.basename(file)})`);
}
