/**
 * What the bot says about stamps (Japanese), in one place so the wording is reviewed and
 * unit-tested as is. Pure and import-free: workflows use it directly.
 */

export interface StampTextLimits {
  maxMessages: number;
  maxMessageLength: number;
  pendingPhotoTtlMinutes: number;
}

/** `tickets`: the user's unused tickets, when known (0 adds a note on how to buy one). */
export function photoAcceptedText(limits: StampTextLimits, tickets?: number): string {
  const lines = [
    '写真を受け取りました！',
    `スタンプにする言葉を、1行に1つずつ書いて送ってください（最大${limits.maxMessages}個、1つ${limits.maxMessageLength}文字まで）。`,
    '例:',
    'ありがとう',
    'おつかれさま',
    'よろしくね',
    `${limits.pendingPhotoTtlMinutes}分以内に送ってください。「キャンセル」で取り消せます。`,
  ];
  if (tickets === 0) {
    lines.push('※スタンプ作成にはチケットが1枚必要です（現在0枚）。「購入」で購入できます。');
  }
  return lines.join('\n');
}

export function photoRejectedText(reason: string): string {
  return `この写真ではスタンプを作れません。\n${reason}`;
}

export const EXTERNAL_CONTENT_TEXT =
  'この画像は受け取れませんでした。LINEのトークで写真を直接送ってください。';
export const CONTENT_GONE_TEXT =
  '画像を取得できませんでした。お手数ですが、もう一度写真を送ってください。';

export function textsRejectedText(details: string): string {
  return `${details}\n直して、もう一度送ってください（写真はそのまま使います）。`;
}

export function jobStartedText(count: number): string {
  return `スタンプを${count}個作っています。できあがったらお知らせします。`;
}

export function noTicketText(links: ReadonlyArray<{ name: string; url: string }>): string {
  const lines = ['スタンプチケットがありません。スタンプ作成にはチケットが1枚必要です。'];
  if (links.length > 0) {
    lines.push('こちらからご購入いただけます:');
    for (const l of links) lines.push(`・${l.name}\n${l.url}`);
  } else {
    lines.push('「購入」と送ると、チケットの購入方法をご案内します。');
  }
  return lines.join('\n');
}

export const NO_TICKET_PENDING_SUFFIX =
  '購入後に、もう一度言葉を送ってください（写真はそのまま使います）。';

export function jobCompletedText(count: number, zipUrl: string, linkDays: number): string {
  return [
    `スタンプが${count}個できました！`,
    `まとめてダウンロード（ZIP、${linkDays}日間有効）:`,
    zipUrl,
  ].join('\n');
}

export function jobFailedText(refunded: boolean): string {
  return refunded
    ? 'スタンプを作れませんでした。チケットはお返ししました。お手数ですが、もう一度お試しください。'
    : 'スタンプを作れませんでした。お手数ですが、もう一度お試しください。';
}

export const PHOTO_CANCELLED_TEXT = 'スタンプ作成を取り消しました。';
export const NOTHING_TO_CANCEL_TEXT = '取り消すスタンプ作成はありません。';
export const PHOTO_EXPIRED_TEXT =
  '写真の受付時間が過ぎました。スタンプを作るときは、もう一度写真を送ってください。';
export const NO_PENDING_PHOTO_TEXT = 'スタンプを作るには、先に写真を送ってください。';
