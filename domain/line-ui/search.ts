import type { messagingApi } from '@line/bot-sdk';
import type { Catalog, Plan } from '../../config/catalog';
import { featureNotInPlanMessage, subscriptionOffers, type UpgradeOffer } from './upgrade';

/**
 * The way to web search (「検索 …」) for a plan without it: the subscriptions whose plan has a
 * search tier, cheapest first, as the same buy postbacks as the daily-limit refusal (a tap
 * creates one Checkout session for that subscription only).
 */
export function searchOffers(catalog: Pick<Catalog, 'plans' | 'products'>): UpgradeOffer[] {
  return subscriptionOffers(catalog, hasSearch);
}

const hasSearch = (plan: Plan) => Boolean(plan.searchTier);

/** The refusal, with the balance card beside the offers (where the user sees their plan). */
export function searchNotInPlanMessage(
  catalog: Pick<Catalog, 'plans' | 'products' | 'messages'>,
  plan: Pick<Plan, 'name'>,
): messagingApi.TextMessage {
  return featureNotInPlanMessage(catalog, plan, {
    has: hasSearch,
    notInPlan: catalog.messages.searchNotInPlan,
    upgradeOffer: catalog.messages.searchUpgradeOffer,
    buttons: [{ label: '残高', text: '残高' }],
  });
}
