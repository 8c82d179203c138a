/**
 * 「マイスタンプ」: the user's sticker sets, newest first, with download links minted when asked
 * (a link in an old message may have expired; a new one is made each time). Pure: the entries
 * the service (services/stamp-library.ts) reads, and the LINE messages made of them.
 */

import type { messagingApi } from '@line/bot-sdk';
import { button, text, vbox } from './line-ui/flex';
import { MAX_CAROUSEL_BUBBLES } from './line-ui/products';
import { LOOK_LABELS, type StickerLook } from './sticker-style';

/** At most this many sets are listed (a carousel holds 12 bubbles; older sets are rarely wanted). */
export const MY_STAMPS_LIMIT = 10;

/**
 * Lifetime of the links minted for the list: a day is enough to download on the phone, and a
 * leaked message stops working soon; asking again mints new ones.
 */
export const MY_STAMPS_LINK_SECONDS = 24 * 60 * 60;

/** LINE's limits on URLs in Flex messages (Messaging API reference: URI action, image). */
export const MAX_URI_ACTION_LENGTH = 1000;
export const MAX_IMAGE_URL_LENGTH = 2000;

export type StampSetEntry =
  | {
      state: 'ready';
      queueId: string;
      /** When it was made, already formatted in the service's zone. */
      madeAt: string;
      count: number;
      look: StickerLook;
      zipUrl: string;
      sheetUrl: string;
      mainUrl: string;
    }
  | {
      state: 'making' | 'purged';
      queueId: string;
      madeAt: string;
      count: number;
      look: StickerLook;
    };

export const NO_STAMP_SETS_TEXT =
  'まだスタンプはありません。写真を送ると、その写真からスタンプを作れます。';
export const PURGED_SET_TEXT =
  'このセットのファイルは保存期間が過ぎたため削除されました。同じ写真を送れば作り直せます。';
export const MAKING_SET_TEXT = '作成中です。できあがったらお知らせします。';

function title(e: StampSetEntry): string {
  return `${e.madeAt} · ${e.count}個 · ${LOOK_LABELS[e.look]}`;
}

function bubbleOf(e: StampSetEntry): messagingApi.FlexBubble {
  if (e.state !== 'ready') {
    return {
      type: 'bubble',
      size: 'kilo',
      body: vbox([
        text(title(e), { weight: 'bold', size: 'sm' }),
        text(e.state === 'purged' ? PURGED_SET_TEXT : MAKING_SET_TEXT, {
          size: 'sm',
          color: '#888888',
        }),
      ]),
    };
  }
  return {
    type: 'bubble',
    size: 'kilo',
    hero: {
      type: 'image',
      url: e.mainUrl,
      size: 'full',
      aspectRatio: '1:1',
      aspectMode: 'fit',
      backgroundColor: '#eceff2',
    },
    body: vbox([text(title(e), { weight: 'bold', size: 'sm' })]),
    footer: vbox(
      [
        button({ type: 'uri', label: 'ZIPをダウンロード', uri: e.zipUrl }),
        button({ type: 'uri', label: '一覧画像を見る', uri: e.sheetUrl }, 'secondary'),
      ],
      { spacing: 'sm' },
    ),
  };
}

/** Whether every link fits where LINE puts it (a long presigned URL, e.g. with a session token, may not). */
function fitsFlex(entries: readonly StampSetEntry[]): boolean {
  return entries.every(
    (e) =>
      e.state !== 'ready' ||
      (e.zipUrl.length <= MAX_URI_ACTION_LENGTH &&
        e.sheetUrl.length <= MAX_URI_ACTION_LENGTH &&
        e.mainUrl.length <= MAX_IMAGE_URL_LENGTH),
  );
}

/** The same list as one text (links as they are: LINE makes them tappable). */
export function myStampsText(entries: readonly StampSetEntry[], linkHours: number): string {
  const lines = [`マイスタンプ（新しい順、リンクは${linkHours}時間有効）`];
  for (const e of entries) {
    lines.push('', title(e));
    if (e.state === 'ready') lines.push(`ZIP: ${e.zipUrl}`, `一覧画像: ${e.sheetUrl}`);
    else lines.push(e.state === 'purged' ? PURGED_SET_TEXT : MAKING_SET_TEXT);
  }
  return lines.join('\n');
}

/**
 * The answer to 「マイスタンプ」: a carousel of the sets (the main image, a ZIP and a sheet
 * link each), or a text when there are none or a link is too long for a Flex message.
 */
export function myStampsMessages(
  entries: readonly StampSetEntry[],
  linkSeconds = MY_STAMPS_LINK_SECONDS,
): messagingApi.Message[] {
  if (entries.length === 0) return [{ type: 'text', text: NO_STAMP_SETS_TEXT }];
  const hours = Math.round(linkSeconds / 3600);
  const shown = entries.slice(0, Math.min(MY_STAMPS_LIMIT, MAX_CAROUSEL_BUBBLES));
  if (!fitsFlex(shown)) return [{ type: 'text', text: myStampsText(shown, hours) }];
  return [
    {
      type: 'flex',
      altText: `マイスタンプ（${shown.length}セット）`,
      contents: { type: 'carousel', contents: shown.map(bubbleOf) },
    },
    {
      type: 'text',
      text: `リンクは${hours}時間有効です。期限が切れたら、もう一度「マイスタンプ」と送ってください。`,
    },
  ];
}
