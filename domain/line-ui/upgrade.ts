import type { messagingApi } from '@line/bot-sdk';
import type { Catalog, Plan } from '../../config/catalog';
import { MAX_QUICK_REPLY_ITEMS, MAX_QUICK_REPLY_LABEL } from './help';
import { buyPostbackData } from './postback';

/**
 * The way past a daily limit or a plan restriction: the subscriptions whose plan allows more
 * answers a day than the user's plan. Points never do (seed 004: the limit is the plan's), so
 * the only offer that lifts the limit is a plan; a tap is the carousel's buy postback and
 * creates one Checkout session for that subscription only.
 */

export interface UpgradeOffer {
  productId: string;
  productName: string;
  planName: string;
  /** -1 = unlimited. */
  dailyChatLimit: number;
  priceYen: number;
}

/** A daily limit as an order: unlimited (-1) above every count. */
function rank(limit: number): number {
  return limit < 0 ? Number.POSITIVE_INFINITY : limit;
}

/** "1日10回" / "回数無制限" / "利用不可". */
export function dailyLimitLabel(limit: number): string {
  if (limit < 0) return '回数無制限';
  if (limit === 0) return '利用不可';
  return `1日${limit}回`;
}

/** Subscriptions that lift the plan's daily limit, cheapest first (none for an unlimited plan). */
export function upgradeOffers(
  catalog: Pick<Catalog, 'plans' | 'products'>,
  current: Pick<Plan, 'dailyChatLimit'>,
): UpgradeOffer[] {
  return subscriptionOffers(
    catalog,
    (plan) => rank(plan.dailyChatLimit) > rank(current.dailyChatLimit),
  );
}

/** The subscriptions whose plan `wanted` accepts, cheapest first, as offers. */
export function subscriptionOffers(
  catalog: Pick<Catalog, 'plans' | 'products'>,
  wanted: (plan: Plan) => boolean,
): UpgradeOffer[] {
  const offers: UpgradeOffer[] = [];
  for (const [productId, p] of Object.entries(catalog.products)) {
    if (p.kind !== 'subscription') continue;
    const plan = catalog.plans[p.plan];
    if (!plan || !wanted(plan)) continue;
    offers.push({
      productId,
      productName: p.name,
      planName: plan.name,
      dailyChatLimit: plan.dailyChatLimit,
      priceYen: p.priceYen,
    });
  }
  return offers.sort((a, b) => a.priceYen - b.priceYen);
}

/** "ベーシックプラン: 1日10回（¥980/月）". */
export function offerLine(o: UpgradeOffer): string {
  return `${o.productName}: ${dailyLimitLabel(o.dailyChatLimit)}（¥${o.priceYen.toLocaleString('ja-JP')}/月）`;
}

function clip(label: string): string {
  return Array.from(label).slice(0, MAX_QUICK_REPLY_LABEL).join('');
}

/**
 * Quick-reply buttons: one buy postback per offer, then plain commands (message actions that
 * send the command's text, e.g. 残高). LINE shows at most 13.
 */
export function upgradeQuickReply(
  offers: readonly UpgradeOffer[],
  commands: ReadonlyArray<{ label: string; text: string }> = [],
): messagingApi.QuickReply | undefined {
  const items: messagingApi.QuickReplyItem[] = [
    ...offers.map((o): messagingApi.QuickReplyItem => ({
      type: 'action',
      action: {
        type: 'postback',
        label: clip(`${o.planName}（${dailyLimitLabel(o.dailyChatLimit)}）`),
        data: buyPostbackData(o.productId),
        displayText: `${o.productName}を購入`,
      },
    })),
    ...commands.map((c): messagingApi.QuickReplyItem => ({
      type: 'action',
      action: { type: 'message', label: clip(c.label), text: c.text },
    })),
  ].slice(0, MAX_QUICK_REPLY_ITEMS);
  return items.length > 0 ? { items } : undefined;
}

/** A text with the upgrade buttons (or the plain text when nothing lifts the limit). */
export function textWithUpgrades(
  text: string,
  offers: readonly UpgradeOffer[],
  commands: ReadonlyArray<{ label: string; text: string }> = [],
): messagingApi.TextMessage {
  const quickReply = upgradeQuickReply(offers, commands);
  return { type: 'text', text, ...(quickReply ? { quickReply } : {}) };
}

/** A plan feature a command needs (web search, questions about a photo) and its refusal texts. */
export interface PlanFeature {
  /** Whether a plan has it (its tier is set). */
  has: (plan: Plan) => boolean;
  /** The refusal's first line; `{plan}` is the user's plan name. */
  notInPlan: string;
  /** The line before the plans that have it. */
  upgradeOffer: string;
  /** Plain command buttons after the offers. */
  buttons: ReadonlyArray<{ label: string; text: string }>;
}

/** The refusal: what the plan lacks, the plans that have it (lines and buttons). Free. */
export function featureNotInPlanMessage(
  catalog: Pick<Catalog, 'plans' | 'products'>,
  plan: Pick<Plan, 'name'>,
  feature: PlanFeature,
): messagingApi.TextMessage {
  const offers = subscriptionOffers(catalog, feature.has);
  const lines = [feature.notInPlan.replaceAll('{plan}', plan.name)];
  if (offers.length > 0) lines.push('', feature.upgradeOffer, ...offers.map(offerLine));
  return textWithUpgrades(lines.join('\n'), offers, feature.buttons);
}
