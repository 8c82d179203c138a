import type { Catalog } from '../config/catalog';
import type { ErrorCode } from './errors';
import { offerLine, type UpgradeOffer } from './line-ui/upgrade';

/** User-facing Japanese texts built from configuration; pure so they are unit-tested as is. */

export function helpText(catalog: Catalog): string {
  return [
    '使い方',
    '・メッセージを送るとAIがお答えします',
    '・「残高」: ポイント残高と本日の残り回数',
    '・「プロンプト」: 現在のシステムプロンプトを表示',
    '・「プロンプト設定 ○○」: システムプロンプトを変更',
    '・「プロンプトリセット」: 既定のプロンプトに戻す',
    '・「リセット」: 会話をリセット',
    '・「購入」: ポイント・チケット・プランの購入',
    '・「プラン管理」: プランの変更・解約（Stripeのお客様ページ）',
    `・写真を送ると、最大${catalog.stamp.maxMessages}個のメッセージ入りオリジナルスタンプを作れます（「スタンプ」で詳しく）`,
  ].join('\n');
}

export interface UsageSummary {
  planName: string;
  balance: number;
  remainingCount: number;
  dailyLimit: number;
  resetTime: string;
  tickets?: number;
}

export function usageText(u: UsageSummary): string {
  const remaining = u.dailyLimit < 0 ? '無制限' : `${u.remainingCount} / ${u.dailyLimit} 回`;
  const lines = [
    `プラン: ${u.planName}`,
    `ポイント残高: ${u.balance} pt`,
    `本日の残り回数: ${remaining}`,
    `リセット: ${formatResetTime(u.resetTime)}`,
  ];
  if (u.tickets !== undefined) lines.push(`スタンプチケット: ${u.tickets} 枚`);
  return lines.join('\n');
}

/** "2026-11-23T00:00:00+09:00" → "11/23 00:00" (the zone is the configured one). */
export function formatResetTime(iso: string): string {
  const m = /^\d{4}-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(iso);
  return m ? `${m[1]}/${m[2]} ${m[3]}:${m[4]}` : iso;
}

export function promptText(custom: string | null, defaultPrompt: string): string {
  return custom
    ? `現在のシステムプロンプト:\n${custom}`
    : `既定のシステムプロンプトを使用中です:\n${defaultPrompt}`;
}

export const PROMPT_SET = 'システムプロンプトを変更しました。次のメッセージから反映されます。';
export const PROMPT_RESET = 'システムプロンプトを既定に戻しました。';
export const CONVERSATION_RESET = '会話をリセットしました。新しい話題をどうぞ。';
export const NOTHING_TO_CANCEL = 'キャンセルする操作はありません。';

export function promptTooLongText(max: number): string {
  return `プロンプトが長すぎます（最大${max}文字）。短くしてもう一度お試しください。`;
}

export function messageTooLongText(max: number): string {
  return `メッセージが長すぎます（最大${max}文字）。短くしてもう一度お試しください。`;
}

export function stampHelpText(catalog: Catalog): string {
  return [
    'オリジナルスタンプの作り方',
    '1. 写真を送ってください',
    `2. スタンプにする言葉を1行に1つずつ送ってください（最大${catalog.stamp.maxMessages}個、1つ${catalog.stamp.maxMessageLength}文字まで）`,
    '3. チケット1枚でスタンプセットが完成します',
    '「キャンセル」で中止できます。',
  ].join('\n');
}

export function productListText(catalog: Catalog, links: Record<string, string>): string {
  const lines = ['ご購入はこちらから:'];
  for (const [id, p] of Object.entries(catalog.products)) {
    const link = links[id];
    if (link)
      lines.push(`・${p.name}（¥${p.priceYen}${p.kind === 'subscription' ? '/月' : ''}）\n${link}`);
  }
  return lines.join('\n');
}

/** Where a refusal for want of points sends the user: the product carousel (no link, no session). */
export const BUY_HINT = '「購入」と送ると、商品を選んでご購入いただけます。';

/** A plan with no chat at all (limit 0): no count to name. */
export const POINTS_DO_NOT_OPEN_CHAT =
  'ポイントを購入しても、現在のプランではAIチャットをご利用いただけません。';

/** `{limit}` in the catalog's wording → the plan's daily count. */
function pointsDoNotLiftLimitText(catalog: Catalog, dailyLimit: number): string {
  if (dailyLimit === 0) return POINTS_DO_NOT_OPEN_CHAT;
  return catalog.messages.pointsDoNotLiftLimit.replace(/\{limit\}/g, String(dailyLimit));
}

/**
 * What a refusal at the daily limit or by the plan adds to seed 004's text: that points do not
 * lift the limit (a user who bought points still sees "0 / 3"), and the subscriptions that do,
 * one line each (their buttons go with the message).
 */
export function upgradeAdvice(
  catalog: Catalog,
  dailyLimit: number,
  offers: readonly UpgradeOffer[],
): string {
  const lines: string[] = [];
  if (dailyLimit >= 0) lines.push(pointsDoNotLiftLimitText(catalog, dailyLimit));
  if (offers.length > 0) lines.push(catalog.messages.upgradeOffer, ...offers.map(offerLine));
  return lines.join('\n');
}

/**
 * The seed 004 reply for a business error, with the reset time where useful; at the daily
 * limit or a plan restriction, with the plan's limit (`dailyLimit`) the advice on what lifts it.
 */
export function errorReplyText(
  catalog: Catalog,
  code: ErrorCode,
  details: { resetTime?: string; dailyLimit?: number; offers?: readonly UpgradeOffer[] } = {},
): string {
  const advice =
    details.dailyLimit === undefined
      ? ''
      : upgradeAdvice(catalog, details.dailyLimit, details.offers ?? []);
  const withAdvice = (text: string) => (advice ? `${text}\n\n${advice}` : text);
  switch (code) {
    case 'USAGE_LIMIT_EXCEEDED':
      return withAdvice(
        details.resetTime
          ? `${catalog.messages.USAGE_LIMIT_EXCEEDED}\n（次回リセット: ${formatResetTime(details.resetTime)}）`
          : catalog.messages.USAGE_LIMIT_EXCEEDED,
      );
    case 'PLAN_RESTRICTION':
      return withAdvice(catalog.messages.PLAN_RESTRICTION);
    case 'INSUFFICIENT_POINTS':
      return `${catalog.messages.INSUFFICIENT_POINTS}\n${BUY_HINT}`;
    default:
      return catalog.messages.SYSTEM_ERROR;
  }
}
