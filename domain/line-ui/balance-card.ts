import type { messagingApi } from '@line/bot-sdk';
import { formatResetTime } from '../chat-texts';
import { button, row, text, vbox } from './flex';
import { buyPostbackData } from './postback';
import { dailyLimitLabel, type UpgradeOffer } from './upgrade';

const NOTE = { size: 'xs', color: '#888888' } as const;

/** LINE allows 20 characters on a button label. */
function clipLabel(label: string): string {
  return Array.from(label).slice(0, 20).join('');
}

export interface BalanceSummary {
  planName: string;
  balance: number;
  /** ISO 8601 of the soonest-expiring points, and how many expire then; none if nothing expires. */
  nearestExpiry?: { at: string; points: number };
  /** -1 = unlimited. */
  remainingCount: number;
  /** -1 = unlimited, 0 = the plan may not chat. */
  dailyLimit: number;
  /** ISO 8601 with the zone's offset. */
  resetTime: string;
  tickets?: number;
  /** The cheapest subscription that allows more answers a day (domain/line-ui/upgrade.ts). */
  upgrade?: UpgradeOffer;
  /** The user has a Stripe customer: 「プラン管理」 opens the customer portal. */
  canManagePlan?: boolean;
}

/** Balance and usage as one Flex card, with a buy button (the carousel, via the buy command). */
export function balanceCard(s: BalanceSummary): messagingApi.FlexMessage {
  const remaining =
    s.dailyLimit < 0
      ? '無制限'
      : s.dailyLimit === 0
        ? '利用不可'
        : `${s.remainingCount} / ${s.dailyLimit} 回`;
  const rows = [
    row('プラン', s.planName),
    row('ポイント', `${s.balance} pt`),
    row(
      '有効期限',
      s.nearestExpiry
        ? `${formatResetTime(s.nearestExpiry.at)}（${s.nearestExpiry.points} pt）`
        : 'なし',
    ),
    row('本日の残り', remaining),
    row('リセット', formatResetTime(s.resetTime)),
  ];
  if (s.tickets !== undefined) rows.push(row('スタンプチケット', `${s.tickets} 枚`));
  // "0 / 3" next to a fresh points balance reads like a fault: say what the count depends on.
  const note =
    s.dailyLimit > 0
      ? [text('ポイントを購入しても1日の回数は増えません（回数はプランで決まります）。', NOTE)]
      : [];
  const buttons: messagingApi.FlexComponent[] = [];
  if (s.upgrade)
    buttons.push(
      button({
        type: 'postback',
        label: clipLabel(`${s.upgrade.planName}（${dailyLimitLabel(s.upgrade.dailyChatLimit)}）`),
        data: buyPostbackData(s.upgrade.productId),
        displayText: `${s.upgrade.productName}を購入`,
      }),
    );
  buttons.push(button({ type: 'message', label: '購入する', text: '購入' }, 'secondary'));
  if (s.canManagePlan)
    buttons.push(button({ type: 'message', label: 'プラン管理', text: 'プラン管理' }, 'secondary'));
  const bubble: messagingApi.FlexBubble = {
    type: 'bubble',
    size: 'kilo',
    body: vbox([text('ご利用状況', { weight: 'bold', size: 'lg' }), ...rows, ...note]),
    footer: vbox(buttons),
  };
  const expiry = s.nearestExpiry ? `（${formatResetTime(s.nearestExpiry.at)} 期限あり）` : '';
  return {
    type: 'flex',
    altText: `ポイント ${s.balance} pt${expiry}・本日の残り ${remaining}`,
    contents: bubble,
  };
}
