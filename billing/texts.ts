/**
 * LINE notices after a grant (Japanese, like every user-facing text). Short: a push message
 * counts against the channel's monthly quota.
 */

export function formatDate(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('ja-JP', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(at);
}

export function pointsPurchasedText(input: {
  productName: string;
  points: number;
  expiresAt: Date;
  balance: number;
  timeZone: string;
}): string {
  return (
    `「${input.productName}」のご購入ありがとうございます。` +
    `${input.points}ポイントを付与しました（有効期限 ${formatDate(input.expiresAt, input.timeZone)}）。` +
    `現在の残高は${input.balance}ポイントです。`
  );
}

export function ticketsPurchasedText(input: { productName: string; tickets: number }): string {
  return (
    `「${input.productName}」のご購入ありがとうございます。` +
    `スタンプチケットを${input.tickets}枚追加しました。写真を送るとスタンプを作れます。`
  );
}

export function subscriptionPaidText(input: {
  planName: string;
  renewal: boolean;
  points: number;
  periodEnd: Date | null;
  timeZone: string;
}): string {
  const head = input.renewal
    ? `${input.planName}プランが更新されました。`
    : `${input.planName}プランへのご登録ありがとうございます。`;
  const points = input.points > 0 ? `今月分の${input.points}ポイントを付与しました。` : '';
  const until = input.periodEnd
    ? `次回更新日は${formatDate(input.periodEnd, input.timeZone)}です。`
    : '';
  return head + points + until;
}

export function planEndedText(defaultPlanName: string): string {
  return `有料プランが終了し、${defaultPlanName}プランに戻りました。ご利用ありがとうございました。`;
}

export function refundText(input: { points: number; tickets: number }): string {
  const parts: string[] = [];
  if (input.points > 0) parts.push(`${input.points}ポイント`);
  if (input.tickets > 0) parts.push(`スタンプチケット${input.tickets}枚`);
  return `返金を承りました。返金に伴い${parts.join('と')}を取り消しました。`;
}
