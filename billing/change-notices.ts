import type { messagingApi } from '@line/bot-sdk';
import type { Catalog, Plan } from '../config/catalog';
import type { PlanDecision } from './plans';
import { upgradeAdvice } from '../domain/chat-texts';
import {
  dailyLimitLabel,
  textWithUpgrades,
  upgradeOffers,
  type UpgradeOffer,
} from '../domain/line-ui/upgrade';
import {
  formatDate,
  pointsPurchasedText,
  subscriptionPaidText,
  ticketsPurchasedText,
} from './texts';

/**
 * Purchase confirmations that say what changed (issue #14): points added and the new balance,
 * tickets added and how many are left, the plan and its daily limit. A points purchase says
 * plainly that points do not lift the daily limit and offers the subscriptions that do, as
 * quick-reply buy postbacks. Each notice is one text (for grant workflows from before the
 * message objects, `notice`) and the same text as a LINE message with its buttons (`messages`).
 */

export interface ChangeNotice {
  notice: string[];
  messages: messagingApi.Message[];
}

/** "10回" / "無制限" / "0回": the count in a sentence about the day. */
function perDay(limit: number): string {
  return limit < 0 ? '無制限' : `${limit}回`;
}

/** "現在のプラン: フリー（1日3回）". */
export function planLine(plan: Pick<Plan, 'name' | 'dailyChatLimit'>): string {
  return `現在のプラン: ${plan.name}（${dailyLimitLabel(plan.dailyChatLimit)}）`;
}

function notice(text: string, offers: readonly UpgradeOffer[] = []): ChangeNotice {
  const commands = offers.length > 0 ? [{ label: '残高', text: '残高' }] : [];
  return { notice: [text], messages: [textWithUpgrades(text, offers, commands)] };
}

export function pointsPurchaseNotice(
  catalog: Catalog,
  input: {
    productName: string;
    points: number;
    expiresAt: Date;
    balance: number;
    timeZone: string;
    /** The plan in force for the buyer. */
    plan: Plan;
  },
): ChangeNotice {
  const offers = upgradeOffers(catalog, input.plan);
  const advice = upgradeAdvice(catalog, input.plan.dailyChatLimit, offers);
  const text = [pointsPurchasedText(input), planLine(input.plan), advice]
    .filter(Boolean)
    .join('\n');
  return notice(text, offers);
}

export function ticketsPurchaseNotice(input: {
  productName: string;
  tickets: number;
  /** Unused tickets after the grant. */
  totalTickets: number;
}): ChangeNotice {
  return notice(
    `${ticketsPurchasedText(input)}\n（スタンプチケット残り ${input.totalTickets} 枚）`,
  );
}

export function subscriptionPeriodNotice(input: {
  planName: string;
  renewal: boolean;
  points: number;
  periodEnd: Date | null;
  timeZone: string;
  /** The plan now in force (after this invoice). */
  plan: Pick<Plan, 'name' | 'dailyChatLimit'>;
  /** The balance after the month's points; undefined when none were granted. */
  balance?: number;
}): ChangeNotice {
  const lines = [
    subscriptionPaidText(input),
    `1日の利用回数: ${perDay(input.plan.dailyChatLimit)}（${input.plan.name}）`,
  ];
  if (input.balance !== undefined) lines.push(`ポイント残高: ${input.balance} pt`);
  return notice(lines.join('\n'));
}

/** A plan changed by the subscription itself (the customer portal, an operator in Stripe). */
export function planChangedNotice(input: {
  from: Pick<Plan, 'name' | 'dailyChatLimit'>;
  to: Pick<Plan, 'name' | 'dailyChatLimit'>;
  periodEnd: Date;
  timeZone: string;
}): ChangeNotice {
  return notice(
    `プランを${input.from.name}から${input.to.name}に変更しました。` +
      `1日の利用回数は${perDay(input.to.dailyChatLimit)}になります` +
      `（次回更新日 ${formatDate(input.periodEnd, input.timeZone)}）。`,
  );
}

/**
 * The notice of a subscription change that switched the user's plan (not a renewal, not the
 * same plan again), with its business identity; undefined when nothing is worth saying.
 */
export function planSwitchNotice(
  catalog: Pick<Catalog, 'plans'>,
  input: {
    subscriptionId: string;
    previousPlanId: string;
    /** The decision applied; `keep` when it changed nothing. */
    decision: PlanDecision;
    timeZone: string;
  },
):
  | {
      planId: string;
      notice: { noticeId: string; notice: string[]; messages: messagingApi.Message[] };
    }
  | undefined {
  const { decision } = input;
  if (decision.action !== 'set' || decision.planId === input.previousPlanId) return undefined;
  const from = catalog.plans[input.previousPlanId];
  const to = catalog.plans[decision.planId];
  if (!from || !to) return undefined;
  const said = planChangedNotice({
    from,
    to,
    periodEnd: decision.periodEnd,
    timeZone: input.timeZone,
  });
  return {
    planId: decision.planId,
    notice: {
      noticeId: `plan-changed:${input.subscriptionId}:${decision.planId}:${decision.periodEnd.getTime()}`,
      ...said,
    },
  };
}
