import type { messagingApi } from '@line/bot-sdk';
import type { Catalog, Plan } from '../../config/catalog';
import { offerLine, subscriptionOffers, textWithUpgrades, type UpgradeOffer } from './upgrade';

/**
 * The way to web search (「検索 …」) for a plan without it: the subscriptions whose plan has a
 * search tier, cheapest first, as the same buy postbacks as the daily-limit refusal (a tap
 * creates one Checkout session for that subscription only).
 */
export function searchOffers(catalog: Pick<Catalog, 'plans' | 'products'>): UpgradeOffer[] {
  return subscriptionOffers(catalog, (plan) => Boolean(plan.searchTier));
}

/** Beside the offers: the balance card, where the user sees the plan they have. */
const BALANCE_BUTTON = { label: '残高', text: '残高' };

/** The refusal: what the plan lacks, the plans that have it (lines and buttons). Free. */
export function searchNotInPlanMessage(
  catalog: Pick<Catalog, 'plans' | 'products' | 'messages'>,
  plan: Pick<Plan, 'name'>,
): messagingApi.TextMessage {
  const offers = searchOffers(catalog);
  const lines = [catalog.messages.searchNotInPlan.replaceAll('{plan}', plan.name)];
  if (offers.length > 0)
    lines.push('', catalog.messages.searchUpgradeOffer, ...offers.map(offerLine));
  return textWithUpgrades(lines.join('\n'), offers, [BALANCE_BUTTON]);
}
