import type { messagingApi } from '@line/bot-sdk';
import type { Catalog, Plan } from '../../config/catalog';
import { offerLine, subscriptionOffers, textWithUpgrades, type UpgradeOffer } from './upgrade';

/**
 * The way to questions about a photo for a plan without a vision tier: the subscriptions whose
 * plan has one, cheapest first, as the same buy postbacks as the search refusal
 * (domain/line-ui/search.ts).
 */
export function visionOffers(catalog: Pick<Catalog, 'plans' | 'products'>): UpgradeOffer[] {
  return subscriptionOffers(catalog, (plan) => Boolean(plan.visionTier));
}

/** Beside the offers: the way back to the sticker, and the balance card (the user's plan). */
const BUTTONS = [
  { label: 'キャンセル', text: 'キャンセル' },
  { label: '残高', text: '残高' },
];

/** The refusal: what the plan lacks, the plans that have it (lines and buttons). Free. */
export function visionNotInPlanMessage(
  catalog: Pick<Catalog, 'plans' | 'products' | 'messages'>,
  plan: Pick<Plan, 'name'>,
): messagingApi.TextMessage {
  const offers = visionOffers(catalog);
  const lines = [catalog.messages.visionNotInPlan.replaceAll('{plan}', plan.name)];
  if (offers.length > 0)
    lines.push('', catalog.messages.visionUpgradeOffer, ...offers.map(offerLine));
  return textWithUpgrades(lines.join('\n'), offers, BUTTONS);
}
