import type { messagingApi } from '@line/bot-sdk';
import type { Catalog, Product } from '../../config/catalog';
import { button, text, vbox } from './flex';
import { buyPostbackData } from './postback';

/** LINE's Flex carousel holds at most 12 bubbles. */
export const MAX_CAROUSEL_BUBBLES = 12;

function priceLabel(p: Product): string {
  return `¥${p.priceYen.toLocaleString('ja-JP')}${p.kind === 'subscription' ? ' / 月' : ''}`;
}

/** What the product gives, in one line. */
function productDetail(p: Product): string {
  switch (p.kind) {
    case 'points':
      return `${p.points} ポイント（${p.expiresInDays}日間有効）`;
    case 'tickets':
      return `スタンプチケット ${p.tickets} 枚`;
    case 'subscription':
      return `毎月 ${p.monthlyPoints} ポイント・プラン変更`;
  }
}

function productBubble(id: string, p: Product): messagingApi.FlexBubble {
  return {
    type: 'bubble',
    size: 'micro',
    body: vbox([
      text(p.name, { weight: 'bold', size: 'md' }),
      text(priceLabel(p), { size: 'sm', color: '#06C755' }),
      text(productDetail(p), { size: 'xs', color: '#666666' }),
    ]),
    footer: vbox([
      button({
        type: 'postback',
        label: '購入する',
        data: buyPostbackData(id),
        displayText: `${p.name}を購入`,
      }),
    ]),
  };
}

/**
 * The products as a Flex carousel. Each button is a postback (`action=buy&product=<id>`): no
 * Checkout session exists until the user taps one, and then only for that product.
 */
export function productCarousel(catalog: Catalog): messagingApi.FlexMessage {
  const bubbles = Object.entries(catalog.products)
    .slice(0, MAX_CAROUSEL_BUBBLES)
    .map(([id, p]) => productBubble(id, p));
  return {
    type: 'flex',
    altText: '購入できる商品の一覧です',
    contents: { type: 'carousel', contents: bubbles },
  };
}

/** The one Checkout session of a tapped product, as a card with its payment link. */
export function checkoutLinkCard(p: Product, url: string): messagingApi.FlexMessage {
  return {
    type: 'flex',
    altText: `${p.name}のお支払いページ: ${url}`,
    contents: {
      type: 'bubble',
      size: 'kilo',
      body: vbox([
        text(p.name, { weight: 'bold', size: 'md' }),
        text(priceLabel(p), { size: 'sm' }),
        text('下のボタンからお支払いページへ進んでください。', { size: 'xs', color: '#666666' }),
      ]),
      footer: vbox([button({ type: 'uri', label: 'お支払いへ進む', uri: url })]),
    },
  };
}
