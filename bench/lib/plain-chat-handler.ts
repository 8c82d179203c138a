import express, { type ErrorRequestHandler, type Express } from 'express';
import {
  HTTPFetchError,
  JSONParseError,
  messagingApi,
  middleware,
  SignatureValidationFailed,
  type webhook,
} from '@line/bot-sdk';
import type OpenAI from 'openai';
import { fitHistory, type ChatMessage } from '../../activities/chat';
import type { AppConfig } from '../../config';
import { estimateInputPoints, estimateTokens, priceUsage } from '../../domain/pricing';
import type { Ledger } from '../../ledger';
import type { Db } from '../../lib/db';

/**
 * The benchmark's baseline: the same chat turn as workflows/chat-turn.ts, written the way a
 * typical LINE bot is, with no Temporal: everything inline in the webhook's request handler.
 *
 *   verify the signature (@line/bot-sdk middleware) → load (or create) the user and the
 *   history → reserve with the ledger → loading animation → the model (openai SDK) → settle
 *   with the ledger, archive both messages and bump the user's counters in the settlement's
 *   transaction → reply (@line/bot-sdk) → 200.
 *
 * Same database, same ledger, same queries, same stand-ins as the product path, so the
 * difference the benchmark measures is the orchestration. What it does NOT have is what
 * Temporal buys: no retries, no per-user ordering, no durability (a crash between the model
 * and the settlement leaves a hold until releaseStaleHolds), and LINE waits for the whole turn
 * before it gets its 200 (LINE redelivers after its own timeout). Commands, canned replies,
 * images and follow events are out of scope: the benchmark sends plain text.
 *
 * Each response body carries the handler's own step timings (ms), for the report.
 */

export interface PlainChatDeps {
  config: AppConfig;
  db: Db;
  ledger: Ledger;
  llm: Record<string, OpenAI>;
  line: messagingApi.MessagingApiClient;
}

/** Milliseconds spent in each step of one turn (plain handler). */
export interface PlainTurnTimings {
  prepare: number;
  reserve: number;
  showLoading: number;
  llm: number;
  settle: number;
  reply: number;
  total: number;
  outcome: 'answered' | 'failed';
}

const APOLOGY = '申し訳ありません。エラーが発生しました。しばらくしてからもう一度お試しください。';

export function createPlainChatApp(deps: PlainChatDeps): Express {
  const { config, db, ledger, line } = deps;
  const { catalog } = config;
  const app = express();
  app.disable('x-powered-by');

  async function handleText(
    event: webhook.MessageEvent & { message: webhook.TextMessageContent },
    lineUserId: string,
  ): Promise<PlainTurnTimings> {
    const t: Partial<PlainTurnTimings> = {};
    const started = performance.now();
    let mark = started;
    const lap = (step: keyof Omit<PlainTurnTimings, 'outcome' | 'total'>) => {
      const now = performance.now();
      t[step] = now - mark;
      mark = now;
    };
    const turnId = `plain-${event.webhookEventId}`;
    const text = event.message.text;

    // The user and the prompt, as prepareChatTurn does.
    const user =
      (await db.user.findUnique({ where: { lineUserId } })) ??
      (await db.user.upsert({ where: { lineUserId }, create: { lineUserId }, update: {} }));
    const plan = catalog.plans[user.planId] ?? catalog.plans[catalog.defaultPlan]!;
    const tierId = plan.modelTier;
    const tier = catalog.modelTiers[tierId]!;
    const rows = await db.chatArchive.findMany({
      where: { userId: user.id, createdAt: { gte: user.conversationStartedAt } },
      orderBy: [{ createdAt: 'desc' }, { role: 'asc' }],
      take: catalog.chat.historyMaxMessages,
      select: { role: true, content: true, tokenCount: true },
    });
    const messages: ChatMessage[] = [
      { role: 'system', content: user.customPrompt ?? catalog.chat.defaultSystemPrompt },
      ...fitHistory(rows, catalog.chat.historyTokenBudget),
      { role: 'user', content: text },
    ];
    const inputTokens = messages.reduce((n, m) => n + estimateTokens(m.content), 0);
    const estimatePoints = estimateInputPoints(tier, catalog.rates, inputTokens);
    lap('prepare');

    let reserved = false;
    try {
      await ledger.reserveTurn({ turnId, userId: user.id, estimatePoints });
      reserved = true;
      lap('reserve');

      // Alongside the model call, as the product does (cosmetic; its own time is recorded).
      const loadingStarted = performance.now();
      const loading = line
        .showLoadingAnimation({ chatId: lineUserId, loadingSeconds: catalog.chat.loadingSeconds })
        .then(
          () => (t.showLoading = performance.now() - loadingStarted),
          () => (t.showLoading = performance.now() - loadingStarted),
        );

      const completion = await deps.llm[tierId]!.chat.completions.create({
        model: tier.model,
        messages,
        max_tokens: catalog.chat.maxOutputTokens,
      });
      const content = completion.choices[0]?.message.content;
      const usage = completion.usage;
      if (!content || !usage) throw new Error('LLM answered without content or usage');
      await loading;
      lap('llm');

      const priced = priceUsage({
        tier,
        rates: catalog.rates,
        inputTokens: usage.prompt_tokens,
        outputTokens: usage.completion_tokens,
        searchCount: 0,
      });
      const now = new Date();
      await ledger.settleTurn(
        {
          turnId,
          userId: user.id,
          records: priced.records,
          rawUsage: usage,
          metadata: { model: completion.model || tier.model, tier: tierId, turnId },
        },
        async (tx) => {
          await tx.chatArchive.createMany({
            data: [
              {
                userId: user.id,
                turnId,
                role: 'user',
                content: text,
                tokenCount: estimateTokens(text),
                createdAt: now,
              },
              {
                userId: user.id,
                turnId,
                role: 'assistant',
                content,
                tokenCount: usage.completion_tokens,
                createdAt: new Date(now.getTime() + 1),
              },
            ],
            skipDuplicates: true,
          });
          await tx.user.update({
            where: { id: user.id },
            data: {
              tokensUsed: { increment: usage.prompt_tokens + usage.completion_tokens },
              messageCount: { increment: 1 },
            },
          });
        },
      );
      reserved = false;
      lap('settle');

      await line.replyMessage({
        replyToken: event.replyToken!,
        messages: [{ type: 'text', text: content }],
      });
      lap('reply');
      return {
        ...(t as PlainTurnTimings),
        total: performance.now() - started,
        outcome: 'answered',
      };
    } catch (err) {
      if (reserved) await ledger.releaseTurn({ turnId, userId: user.id });
      try {
        await line.replyMessage({
          replyToken: event.replyToken!,
          messages: [{ type: 'text', text: APOLOGY }],
        });
      } catch (replyErr) {
        if (!(replyErr instanceof HTTPFetchError)) throw replyErr;
      }
      const message = err instanceof Error ? err.message : String(err);
      process.stderr.write(`plain handler: turn failed: ${message}\n`);
      return {
        prepare: 0,
        reserve: 0,
        showLoading: 0,
        llm: 0,
        settle: 0,
        reply: 0,
        ...t,
        total: performance.now() - started,
        outcome: 'failed',
      };
    }
  }

  app.post(
    '/webhooks/line',
    middleware({ channelSecret: config.env.LINE_CHANNEL_SECRET }),
    async (req, res) => {
      const body = req.body as webhook.CallbackRequest;
      const timings: PlainTurnTimings[] = [];
      for (const event of body.events ?? []) {
        if (
          event.type === 'message' &&
          event.message.type === 'text' &&
          event.source?.type === 'user' &&
          event.source.userId &&
          event.replyToken
        ) {
          timings.push(
            await handleText(
              event as webhook.MessageEvent & { message: webhook.TextMessageContent },
              event.source.userId,
            ),
          );
        }
      }
      res.status(200).json({ timings });
    },
  );

  const onError: ErrorRequestHandler = (err, _req, res, _next) => {
    if (err instanceof SignatureValidationFailed) {
      res.status(401).json({ error: 'INVALID_SIGNATURE' });
    } else if (err instanceof JSONParseError) {
      res.status(400).json({ error: 'INVALID_INPUT' });
    } else {
      process.stderr.write(`plain handler: ${(err as Error).stack ?? String(err)}\n`);
      res.status(500).json({ error: 'SYSTEM_ERROR' });
    }
  };
  app.use(onError);
  return app;
}
