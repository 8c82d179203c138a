import {
  CONVERSATION_RESET,
  errorReplyText,
  helpText,
  NOTHING_TO_CANCEL,
  PROMPT_RESET,
  PROMPT_SET,
  promptText,
  promptTooLongText,
  stampHelpText,
} from '../domain/chat-texts';
import { type Command } from '../domain/commands';
import { isErrorCode } from '../domain/errors';
import { countUnusedTickets } from '../ledger/tickets';
import { formatWithOffset } from '../domain/daily-limit';
import { findOrCreateUser } from '../services/users';
import { stampLibraryFor } from '../services/stamp-library';
import { balanceCard } from '../domain/line-ui/balance-card';
import { helpMessage } from '../domain/line-ui/help';
import { checkoutLinkCard, productCarousel } from '../domain/line-ui/products';
import { textWithUpgrades, upgradeOffers } from '../domain/line-ui/upgrade';
import { planPortalCard } from '../domain/line-ui/plan-portal';
import { effectivePlan } from '../ledger/users';
import type { Plan } from '../config/catalog';

/** Beside the upgrade buttons: the balance card, where the day's count and points are shown. */
const BALANCE_BUTTON = { label: '残高', text: '残高' };

import type { ChatDeps, CommandAnswer, TurnFailure } from './chat';

/**
 * The chat's commands (and the buy postback) and the seed 004 reply for a turn that ended
 * without an answer: the part of the chat activities (activities/chat.ts) that answers without
 * the model.
 */
export function createChatCommandActivities(deps: ChatDeps) {
  const { db, config, ledger, clock, logger, metrics } = deps;
  const { catalog } = config;

  /** The plan that limits the user now: a lapsed paid period counts as the default plan. */
  function planInForce(user: Parameters<typeof effectivePlan>[0]): Plan {
    const planId = catalog.plans[user.planId] ? user.planId : catalog.defaultPlan;
    return effectivePlan({ ...user, planId }, catalog, clock.now()).plan;
  }

  async function buyLinks(userId: string, productIds: string[]): Promise<Record<string, string>> {
    if (!deps.checkout) return {};
    const entries = await Promise.all(
      productIds.map(async (id) => [id, await deps.checkout!.linkFor(userId, id)] as const),
    );
    return Object.fromEntries(entries);
  }

  return {
    /**
     * Text commands (and the buy postback). Each is idempotent per turn, so a retried activity
     * changes nothing twice.
     */
    async runCommand(input: {
      lineUserId: string;
      turnId: string;
      command: Command;
    }): Promise<CommandAnswer> {
      const user = await findOrCreateUser(db, input.lineUserId);
      const { command } = input;
      metrics.chatTurns.inc({ outcome: `command:${command.kind}` });
      switch (command.kind) {
        case 'help':
          return { messages: [helpMessage(helpText(catalog))] };
        case 'usage': {
          const [usage, balance, tickets, expiring] = await Promise.all([
            ledger.getUsage(user.id),
            ledger.getBalance(user.id),
            countUnusedTickets(db, user.id),
            db.pointLot.findMany({
              where: { userId: user.id, amount: { gt: 0 }, expiresAt: { gt: clock.now() } },
              orderBy: { expiresAt: 'asc' },
              select: { amount: true, expiresAt: true },
              take: 50,
            }),
          ]);
          const plan = catalog.plans[user.planId];
          const [upgrade] = upgradeOffers(catalog, planInForce(user));
          // The soonest expiry, and every point that expires at that instant.
          const soonest = expiring[0]?.expiresAt;
          const nearestExpiry = soonest
            ? {
                at: formatWithOffset(soonest, config.env.TIME_ZONE),
                points: expiring
                  .filter((l) => l.expiresAt?.getTime() === soonest.getTime())
                  .reduce((n, l) => n + l.amount, 0),
              }
            : undefined;
          return {
            messages: [
              balanceCard({
                planName: plan?.name ?? user.planId,
                balance: balance.balance,
                nearestExpiry,
                remainingCount: usage.remainingCount,
                dailyLimit: usage.dailyLimit,
                resetTime: usage.resetTime,
                tickets,
                upgrade,
                canManagePlan: user.stripeCustomerId !== null,
              }),
            ],
          };
        }
        case 'showPrompt':
          return [promptText(user.customPrompt, catalog.chat.defaultSystemPrompt)];
        case 'setPrompt':
        case 'resetPrompt': {
          const prompt = command.kind === 'setPrompt' ? command.prompt : null;
          const max = catalog.chat.maxSystemPromptCharacters;
          if (prompt && Array.from(prompt).length > max) return [promptTooLongText(max)];
          await db.$transaction(async (tx) => {
            // The archive row is keyed by the turn: a retry finds it and changes nothing.
            const done = await tx.promptArchive.findUnique({ where: { turnId: input.turnId } });
            if (done) return;
            await tx.promptArchive.create({
              data: { userId: user.id, prompt, turnId: input.turnId },
            });
            await tx.user.update({ where: { id: user.id }, data: { customPrompt: prompt } });
          });
          return [prompt ? PROMPT_SET : PROMPT_RESET];
        }
        case 'resetConversation':
          await db.user.update({
            where: { id: user.id },
            data: { conversationStartedAt: clock.now() },
          });
          return [CONVERSATION_RESET];
        case 'buy': {
          // The list is a carousel of postbacks: no Checkout session until a product is picked.
          if (!command.productId) return { messages: [productCarousel(catalog)] };
          const product = catalog.products[command.productId];
          if (!product)
            return [
              `商品「${command.productId}」は見つかりませんでした。「購入」で一覧を表示します。`,
            ];
          const url = (await buyLinks(user.id, [command.productId]))[command.productId];
          if (!url) return ['現在ご購入いただけません。しばらく後にお試しください。'];
          return { messages: [checkoutLinkCard(product, url)] };
        }
        case 'managePlan': {
          if (!deps.checkout?.portalFor)
            return ['現在ご利用いただけません。しばらく後にお試しください。'];
          const link = await deps.checkout.portalFor(user.id, input.turnId);
          if (link.kind === 'noCustomer') return [catalog.messages.noPlanToManage];
          return { messages: [planPortalCard(planInForce(user).name, link.url)] };
        }
        case 'stampHelp':
          return [stampHelpText(catalog)];
        case 'myStamps':
          return {
            messages: await stampLibraryFor({ db, config }).myStampsAnswer(user.lineUserId),
          };
        case 'cancel':
          return [NOTHING_TO_CANCEL];
      }
    },

    /**
     * The seed 004 reply for a failed turn. At the daily limit or a plan restriction it says
     * that points do not lift the limit and offers the subscriptions that do, as quick-reply
     * buy postbacks (one Checkout session on a tap, as from the carousel); turns recorded
     * before answered with a plain text, which replays as it was.
     */
    async composeErrorReply(input: {
      lineUserId: string;
      code: string;
      resetTime?: string;
      /** Set when the turn could not complete (not a business refusal). */
      failure?: TurnFailure;
    }): Promise<CommandAnswer> {
      const code = isErrorCode(input.code) ? input.code : 'SYSTEM_ERROR';
      metrics.businessErrors.inc({ code });
      if (input.failure) {
        const { turnId, step, errorType } = input.failure;
        metrics.chatTurnFailures.inc({ step, reason: errorType });
        logger.error({ turnId, step, errorType }, 'chat turn failed; apologising');
      }
      // A refusal creates no Checkout session: it points to 「購入」 or offers postbacks, which
      // create one only for the product the user picks (issue: 47 refusals had made 47 sessions).
      logger.info({ code }, 'chat turn ended with a business error');
      if (code !== 'USAGE_LIMIT_EXCEEDED' && code !== 'PLAN_RESTRICTION')
        return [errorReplyText(catalog, code, { resetTime: input.resetTime })];
      const user = await findOrCreateUser(db, input.lineUserId);
      const plan = planInForce(user);
      const offers = upgradeOffers(catalog, plan);
      const text = errorReplyText(catalog, code, {
        resetTime: input.resetTime,
        dailyLimit: plan.dailyChatLimit,
        offers,
      });
      return { messages: [textWithUpgrades(text, offers, [BALANCE_BUTTON])] };
    },
  };
}
