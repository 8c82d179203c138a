import type { messagingApi } from '@line/bot-sdk';

/**
 * The bot's rich menu: six tiles, each a message action that sends a chat command
 * (domain/commands.ts), so a tap is answered exactly as the typed word is. Pure data; the image
 * is drawn from the same tiles (lib/rich-menu-image.ts) and the name carries a hash of both
 * (services/rich-menu.ts), which is how a re-run finds the menu it made.
 */

/** LINE's large rich menu size (2500 × 1686), two rows of three tiles. */
export const RICH_MENU_SIZE = { width: 2500, height: 1686 } as const;
const COLUMNS = 3;
const ROWS = 2;

/** Names of the menus this project made start with this (others on the channel are left alone). */
export const RICH_MENU_NAME_PREFIX = 'line-ai-menu';

export interface RichMenuTile {
  /** Drawn on the image (Japanese). */
  label: string;
  /** A line under the label. */
  caption: string;
  /** The command text the tap sends. */
  text: string;
  /** Tile colour (#RRGGBB). */
  color: string;
}

export const RICH_MENU_TILES: readonly RichMenuTile[] = [
  { label: '購入', caption: 'ポイント・プラン', text: '購入', color: '#06C755' },
  { label: '残高', caption: 'ポイントと回数', text: '残高', color: '#1E88E5' },
  { label: 'スタンプ', caption: '写真から作る', text: 'スタンプ', color: '#F4511E' },
  { label: 'プラン管理', caption: '変更・解約', text: 'プラン管理', color: '#8E24AA' },
  { label: 'ヘルプ', caption: '使い方', text: 'ヘルプ', color: '#546E7A' },
  { label: '会話リセット', caption: '新しい話題', text: 'リセット', color: '#00897B' },
];

export interface TileBounds {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The tiles' rectangles, row by row; the last column and row take the rounding remainder. */
export function tileBounds(
  size: { width: number; height: number } = RICH_MENU_SIZE,
  count = RICH_MENU_TILES.length,
): TileBounds[] {
  const w = Math.floor(size.width / COLUMNS);
  const h = Math.floor(size.height / ROWS);
  return Array.from({ length: count }, (_, i) => {
    const col = i % COLUMNS;
    const row = Math.floor(i / COLUMNS);
    return {
      x: col * w,
      y: row * h,
      width: col === COLUMNS - 1 ? size.width - col * w : w,
      height: row === ROWS - 1 ? size.height - row * h : h,
    };
  });
}

/** The create request without its name (the name carries the content hash). */
export function richMenuBody(): Omit<messagingApi.RichMenuRequest, 'name'> {
  const bounds = tileBounds();
  return {
    size: { ...RICH_MENU_SIZE },
    selected: true,
    chatBarText: 'メニュー',
    areas: RICH_MENU_TILES.map((tile, i) => ({
      bounds: bounds[i]!,
      action: { type: 'message', label: tile.label, text: tile.text },
    })),
  };
}

/** `line-ai-menu <hash>`: the name a re-run looks for. */
export function richMenuName(contentHash: string): string {
  return `${RICH_MENU_NAME_PREFIX} ${contentHash}`;
}
