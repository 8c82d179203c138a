import type { messagingApi } from '@line/bot-sdk';
import type { Catalog, Plan } from '../../config/catalog';
import { featureNotInPlanMessage, subscriptionOffers, type UpgradeOffer } from './upgrade';

/**
 * The way to questions about a photo for a plan without a vision tier: the subscriptions whose
 * plan has one, cheapest first, as the same buy postbacks as the search refusal
 * (domain/line-ui/search.ts).
 */
export function visionOffers(catalog: Pick<Catalog, 'plans' | 'products'>): UpgradeOffer[] {
  return subscriptionOffers(catalog, hasVision);
}

const hasVision = (plan: Plan) => Boolean(plan.visionTier);

/** The refusal, with the way back to the sticker and the balance card beside the offers. */
export function visionNotInPlanMessage(
  catalog: Pick<Catalog, 'plans' | 'products' | 'messages'>,
  plan: Pick<Plan, 'name'>,
): messagingApi.TextMessage {
  return featureNotInPlanMessage(catalog, plan, {
    has: hasVision,
    notInPlan: catalog.messages.visionNotInPlan,
    upgradeOffer: catalog.messages.visionUpgradeOffer,
    buttons: [
      { label: 'キャンセル', text: 'キャンセル' },
      { label: '残高', text: '残高' },
    ],
  });
}
