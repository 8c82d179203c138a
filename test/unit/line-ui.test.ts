import { loadCatalog, parseCatalog } from '../../config/catalog';
import { toInboundEvent } from '../../domain/line-events';
import { balanceCard } from '../../domain/line-ui/balance-card';
import { HELP_QUICK_REPLIES, helpMessage, MAX_QUICK_REPLY_LABEL } from '../../domain/line-ui/help';
import { buyPostbackData, parsePostbackData } from '../../domain/line-ui/postback';
import { checkoutLinkCard, productCarousel } from '../../domain/line-ui/products';
import { toDeliveryBatches } from '../../activities/line-messaging';
import { LINE_LIMITS, lineMessagesErrors, lineSchemaErrors } from '../support/line-openapi';

const catalog = loadCatalog();

describe("LINE message builders, validated against LINE's OpenAPI description", () => {
  it('the validator itself refuses what LINE refuses', () => {
    expect(lineSchemaErrors('Message', { type: 'text' })).not.toEqual([]);
    expect(lineMessagesErrors([{ type: 'no-such-type' }])).not.toEqual([]);
    const bad = {
      type: 'flex',
      altText: 'x',
      contents: {
        type: 'bubble',
        body: { type: 'box', layout: 'vertical', contents: [{ type: 'buton' }] },
      },
    };
    expect(lineMessagesErrors([bad])).not.toEqual([]);
    const tooMany = {
      type: 'text',
      text: 'x',
      quickReply: {
        items: Array(14).fill({
          type: 'action',
          action: { type: 'message', label: 'a', text: 'a' },
        }),
      },
    };
    expect(lineMessagesErrors([tooMany])).not.toEqual([]);
    expect(lineMessagesErrors(Array(6).fill({ type: 'text', text: 'x' }))).not.toEqual([]);
  });

  it('help: the text with quick-reply buttons for the common commands', () => {
    const m = helpMessage('使い方');
    expect(lineMessagesErrors([m])).toEqual([]);
    const items = m.quickReply?.items ?? [];
    expect(items.length).toBeGreaterThan(0);
    expect(items.length).toBeLessThanOrEqual(LINE_LIMITS.quickReplyItems);
    for (const item of items) {
      expect(Array.from(item.action?.label ?? '').length).toBeLessThanOrEqual(
        MAX_QUICK_REPLY_LABEL,
      );
    }
    expect(items.map((i) => (i.action as { text?: string }).text)).toEqual(
      HELP_QUICK_REPLIES.map((b) => b.text),
    );
  });

  it('balance: a Flex card with points, nearest expiry, remaining count, reset and plan', () => {
    const card = balanceCard({
      planName: 'フリー',
      balance: 120,
      nearestExpiry: { at: '2027-05-30T00:00:00+09:00', points: 100 },
      remainingCount: 2,
      dailyLimit: 3,
      resetTime: '2026-12-02T00:00:00+09:00',
      tickets: 1,
    });
    expect(lineMessagesErrors([card])).toEqual([]);
    const json = JSON.stringify(card.contents);
    for (const s of [
      'フリー',
      '120 pt',
      '05/30 00:00',
      '100 pt',
      '2 / 3 回',
      '12/02 00:00',
      '1 枚',
    ])
      expect(json).toContain(s);
    const unlimited = balanceCard({
      planName: 'P',
      balance: 0,
      remainingCount: -1,
      dailyLimit: -1,
      resetTime: 'x',
    });
    expect(lineMessagesErrors([unlimited])).toEqual([]);
    expect(JSON.stringify(unlimited.contents)).toContain('無制限');
  });

  it('products: a carousel of postbacks, one per product, no links', () => {
    const m = productCarousel(catalog);
    expect(lineMessagesErrors([m])).toEqual([]);
    const contents = m.contents as { type: string; contents: unknown[] };
    expect(contents.type).toBe('carousel');
    expect(contents.contents).toHaveLength(Object.keys(catalog.products).length);
    const json = JSON.stringify(m);
    expect(json).not.toContain('http');
    for (const id of Object.keys(catalog.products)) expect(json).toContain(buyPostbackData(id));
  });

  it('products: at most 12 bubbles even for a large catalog', () => {
    const products = Object.fromEntries(
      Array.from({ length: 20 }, (_, i) => [
        `p_${i}`,
        { kind: 'tickets', name: `チケット${i}`, priceYen: 100, tickets: 1 },
      ]),
    );
    const big = parseCatalog({ ...structuredClone(catalog), products });
    const m = productCarousel(big);
    expect(lineMessagesErrors([m])).toEqual([]);
    expect((m.contents as { contents: unknown[] }).contents).toHaveLength(
      LINE_LIMITS.carouselBubbles,
    );
  });

  it("a product's payment card carries its one Checkout URL as a button", () => {
    const url = 'https://checkout.stripe.com/c/pay/cs_test_123';
    const m = checkoutLinkCard(catalog.products.points_500!, url);
    expect(lineMessagesErrors([m])).toEqual([]);
    expect(JSON.stringify(m.contents)).toContain(`"uri":"${url}"`);
  });

  it('texts, message objects and images are batched five to a call, in that order', () => {
    const batches = toDeliveryBatches(
      ['a', 'b'],
      [{ originalContentUrl: 'https://x/y.png' }],
      [
        helpMessage('h'),
        productCarousel(catalog),
        balanceCard({
          planName: 'p',
          balance: 1,
          remainingCount: 1,
          dailyLimit: 1,
          resetTime: 'x',
        }),
        helpMessage('i'),
      ],
    );
    expect(batches.map((b) => b.map((m) => m.type))).toEqual([
      ['text', 'text', 'text', 'flex', 'flex'],
      ['text', 'image'],
    ]);
    for (const b of batches) expect(lineMessagesErrors(b)).toEqual([]);
  });
});

describe('postback data', () => {
  it('round-trips a buy pick and refuses anything else', () => {
    expect(buyPostbackData('points_500')).toBe('action=buy&product=points_500');
    expect(parsePostbackData('action=buy&product=points_500')).toEqual({
      action: 'buy',
      productId: 'points_500',
    });
    expect(parsePostbackData('action=buy')).toBeUndefined();
    expect(parsePostbackData('action=sell&product=points_500')).toBeUndefined();
    expect(parsePostbackData('action=buy&product=../../x')).toBeUndefined();
  });
});

describe('LINE events beyond text and images', () => {
  const base = {
    webhookEventId: '01HX',
    timestamp: 1,
    mode: 'active',
    source: { type: 'user', userId: 'U1' },
    deliveryContext: { isRedelivery: false },
    replyToken: 'rt',
  };
  it('maps postbacks, stickers and the unsupported message types', () => {
    expect(
      toInboundEvent({ ...base, type: 'postback', postback: { data: 'action=buy&product=x' } }),
    ).toMatchObject({
      type: 'postback',
      data: 'action=buy&product=x',
      replyToken: 'rt',
    });
    expect(
      toInboundEvent({
        ...base,
        type: 'message',
        message: { type: 'sticker', id: 'm1', packageId: '1', stickerId: '2' },
      }),
    ).toMatchObject({ type: 'sticker', messageId: 'm1' });
    for (const t of ['video', 'audio', 'location', 'file'])
      expect(
        toInboundEvent({ ...base, type: 'message', message: { type: t, id: 'm' } }),
      ).toMatchObject({
        type: 'unsupported',
        messageType: t,
      });
  });
});
