import type { messagingApi } from '@line/bot-sdk';

/** LINE shows at most 13 quick-reply buttons; each label at most 20 characters. */
export const MAX_QUICK_REPLY_ITEMS = 13;
export const MAX_QUICK_REPLY_LABEL = 20;

/** The common commands, as buttons that send the command's text (domain/commands.ts aliases). */
export const HELP_QUICK_REPLIES: ReadonlyArray<{ label: string; text: string }> = [
  { label: '残高', text: '残高' },
  { label: '購入', text: '購入' },
  { label: 'スタンプ', text: 'スタンプ' },
  { label: 'プラン管理', text: 'プラン管理' },
  { label: 'プロンプト', text: 'プロンプト' },
  { label: '会話リセット', text: 'リセット' },
  { label: 'ヘルプ', text: 'ヘルプ' },
];

export function quickReplyOf(
  buttons: ReadonlyArray<{ label: string; text: string }>,
): messagingApi.QuickReply {
  if (buttons.length < 1 || buttons.length > MAX_QUICK_REPLY_ITEMS)
    throw new RangeError(`quick reply needs 1..${MAX_QUICK_REPLY_ITEMS} items`);
  return {
    items: buttons.map((b): messagingApi.QuickReplyItem => ({
      type: 'action',
      action: {
        type: 'message',
        label: Array.from(b.label).slice(0, MAX_QUICK_REPLY_LABEL).join(''),
        text: b.text,
      },
    })),
  };
}

/** The help text with the common commands one tap away. */
export function helpMessage(text: string): messagingApi.TextMessage {
  return { type: 'text', text, quickReply: quickReplyOf(HELP_QUICK_REPLIES) };
}
