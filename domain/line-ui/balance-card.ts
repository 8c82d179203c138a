import type { messagingApi } from '@line/bot-sdk';
import { formatResetTime } from '../chat-texts';
import { button, row, text, vbox } from './flex';

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
  const bubble: messagingApi.FlexBubble = {
    type: 'bubble',
    size: 'kilo',
    body: vbox([text('ご利用状況', { weight: 'bold', size: 'lg' }), ...rows]),
    footer: vbox([button({ type: 'message', label: '購入する', text: '購入' }, 'secondary')]),
  };
  const expiry = s.nearestExpiry ? `（${formatResetTime(s.nearestExpiry.at)} 期限あり）` : '';
  return {
    type: 'flex',
    altText: `ポイント ${s.balance} pt${expiry}・本日の残り ${remaining}`,
    contents: bubble,
  };
}
