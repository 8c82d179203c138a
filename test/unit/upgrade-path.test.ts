import {
  planSwitchNotice,
  pointsPurchaseNotice,
  subscriptionPeriodNotice,
  ticketsPurchaseNotice,
} from '../../billing/change-notices';
import { loadCatalog } from '../../config/catalog';
import { errorReplyText } from '../../domain/chat-texts';
import { parseCommand } from '../../domain/commands';
import { balanceCard } from '../../domain/line-ui/balance-card';
import { planPortalCard } from '../../domain/line-ui/plan-portal';
import { parsePostbackData } from '../../domain/line-ui/postback';
import { textWithUpgrades, upgradeOffers } from '../../domain/line-ui/upgrade';
import { lineMessagesErrors } from '../support/line-openapi';

const catalog = loadCatalog();
const plan = (id: string) => catalog.plans[id]!;

/** The buy postbacks a message's quick reply carries, as product IDs. */
function offeredProducts(message: unknown): string[] {
  const items =
    (message as { quickReply?: { items: Array<{ action: { type: string; data?: string } }> } })
      .quickReply?.items ?? [];
  return items
    .filter((i) => i.action.type === 'postback')
    .map((i) => parsePostbackData(i.action.data ?? '')?.productId ?? 'unparsed');
}

describe('the upgrade path (issue #14)', () => {
  it('offers the subscriptions whose plan allows more a day, cheapest first; none above unlimited', () => {
    expect(upgradeOffers(catalog, plan('free')).map((o) => o.productId)).toEqual([
      'sub_basic',
      'sub_premium',
    ]);
    expect(upgradeOffers(catalog, plan('basic')).map((o) => o.productId)).toEqual(['sub_premium']);
    expect(upgradeOffers(catalog, plan('premium'))).toEqual([]);
    expect(upgradeOffers(catalog, plan('enterprise'))).toEqual([]);
    // A plan that may not chat at all: every subscription lifts it.
    expect(upgradeOffers(catalog, { dailyChatLimit: 0 })).toHaveLength(2);
  });

  it('the daily-limit reply says points do not lift it and names the plans that do, with buy postbacks', () => {
    const offers = upgradeOffers(catalog, plan('free'));
    const text = errorReplyText(catalog, 'USAGE_LIMIT_EXCEEDED', {
      resetTime: '2026-11-23T00:00:00+09:00',
      dailyLimit: 3,
      offers,
    });
    expect(text).toContain(catalog.messages.USAGE_LIMIT_EXCEEDED);
    expect(text).toContain('11/23 00:00');
    expect(text).toContain('ポイントを購入しても1日の利用回数（3回）は増えません');
    expect(text).toContain('ベーシックプラン: 1日10回（¥980/月）');
    const message = textWithUpgrades(text, offers, [{ label: '残高', text: '残高' }]);
    expect(lineMessagesErrors([message])).toEqual([]);
    expect(offeredProducts(message)).toEqual(['sub_basic', 'sub_premium']);
  });

  it('a plan restriction (limit 0) gets the same offers without a count; premium gets no offer', () => {
    const text = errorReplyText(catalog, 'PLAN_RESTRICTION', {
      dailyLimit: 0,
      offers: upgradeOffers(catalog, { dailyChatLimit: 0 }),
    });
    expect(text).toContain(catalog.messages.PLAN_RESTRICTION);
    expect(text).toContain('現在のプランではAIチャットをご利用いただけません');
    expect(text).not.toContain('（0回）');
    const premium = errorReplyText(catalog, 'USAGE_LIMIT_EXCEEDED', { dailyLimit: 50, offers: [] });
    expect(premium).toContain('（50回）は増えません');
    expect(premium).not.toContain(catalog.messages.upgradeOffer);
    expect(textWithUpgrades(premium, []).quickReply).toBeUndefined();
  });

  it('a points purchase says what changed, that points do not lift the limit, and offers the plans', () => {
    const said = pointsPurchaseNotice(catalog, {
      productName: '500ポイント',
      points: 500,
      expiresAt: new Date('2027-05-30T00:00:00Z'),
      balance: 620,
      timeZone: 'Asia/Tokyo',
      plan: plan('free'),
    });
    const [text] = said.notice;
    expect(text).toContain('500ポイントを付与しました');
    expect(text).toContain('現在の残高は620ポイントです');
    expect(text).toContain('現在のプラン: フリー（1日3回）');
    expect(text).toContain('ポイントを購入しても1日の利用回数（3回）は増えません');
    expect(lineMessagesErrors(said.messages)).toEqual([]);
    expect(offeredProducts(said.messages[0])).toEqual(['sub_basic', 'sub_premium']);
  });

  it('tickets, a subscription period and a plan switch say what changed', () => {
    const tickets = ticketsPurchaseNotice({
      productName: 'チケット5枚',
      tickets: 5,
      totalTickets: 6,
    });
    expect(tickets.notice[0]).toContain('スタンプチケットを5枚追加しました');
    expect(tickets.notice[0]).toContain('残り 6 枚');
    const period = subscriptionPeriodNotice({
      planName: 'ベーシック',
      renewal: false,
      points: 1000,
      periodEnd: new Date('2027-01-01T00:00:00Z'),
      timeZone: 'Asia/Tokyo',
      plan: plan('basic'),
      balance: 1100,
    });
    expect(period.notice[0]).toContain('1日の利用回数: 10回（ベーシック）');
    expect(period.notice[0]).toContain('ポイント残高: 1100 pt');
    const periodEnd = new Date('2027-01-01T00:00:00Z');
    const switched = planSwitchNotice(catalog, {
      subscriptionId: 'sub_1',
      previousPlanId: 'basic',
      decision: { action: 'set', planId: 'premium', periodEnd, subscriptionId: 'sub_1' },
      timeZone: 'Asia/Tokyo',
    });
    expect(switched?.notice.notice[0]).toContain('プランをベーシックからプレミアムに変更しました');
    expect(switched?.notice.notice[0]).toContain('1日の利用回数は50回');
    expect(
      planSwitchNotice(catalog, {
        subscriptionId: 'sub_1',
        previousPlanId: 'premium',
        decision: { action: 'set', planId: 'premium', periodEnd, subscriptionId: 'sub_1' },
        timeZone: 'Asia/Tokyo',
      }),
    ).toBeUndefined();
    for (const m of [tickets, period, switched!.notice])
      expect(lineMessagesErrors(m.messages)).toEqual([]);
  });

  it('the balance card tells what the count depends on and carries upgrade and プラン管理 buttons', () => {
    const [upgrade] = upgradeOffers(catalog, plan('free'));
    const card = balanceCard({
      planName: 'フリー',
      balance: 500,
      remainingCount: 0,
      dailyLimit: 3,
      resetTime: '2026-11-23T00:00:00+09:00',
      upgrade,
      canManagePlan: true,
    });
    expect(lineMessagesErrors([card])).toEqual([]);
    const json = JSON.stringify(card);
    expect(json).toContain('0 / 3 回');
    expect(json).toContain('ポイントを購入しても1日の回数は増えません');
    expect(json).toContain('action=buy&product=sub_basic');
    expect(json).toContain('"text":"プラン管理"');
    expect(parseCommand('プラン管理')).toEqual({ kind: 'managePlan' });
    expect(parseCommand('ｐｌａｎ')).toEqual({ kind: 'managePlan' });
    const portal = planPortalCard('ベーシック', 'https://billing.stripe.com/p/session/test_1');
    expect(lineMessagesErrors([portal])).toEqual([]);
  });
});
