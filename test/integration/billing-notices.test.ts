import type { LineMessage } from '../../stand-ins';
import { startBillingHarness, type BillingHarness } from '../support/billing-harness';
import { lineMessagesErrors } from '../support/line-openapi';
import {
  checkoutSession,
  invoice,
  stripeEvent,
  stripeId,
  subscription,
  type PurchaseMetadata,
  type StripeEventJson,
} from '../support/stripe-events';

/**
 * Purchase confirmations say what changed (issue #14): Stripe webhook → grant workflow → the
 * LINE notice, through the real API, worker, Temporal and database; LINE is the stand-in and
 * every notice is validated against LINE's OpenAPI description.
 */
describe('purchase confirmations', () => {
  let h: BillingHarness;
  const DAY = 24 * 60 * 60;
  const now = () => Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    h = await startBillingHarness('billing-notices');
  });
  afterAll(async () => {
    await h?.stop();
  });
  afterEach(() => {
    for (const record of h.line.received()) {
      if (record.messages) expect(lineMessagesErrors(record.messages)).toEqual([]);
    }
  });

  async function purchaser(productId: string) {
    const user = await h.newUser();
    const metadata: PurchaseMetadata = { userId: user.id, productId, lineUserId: user.lineUserId };
    return { user, metadata };
  }
  async function process(event: StripeEventJson) {
    expect((await h.deliver(event)).status).toBe(200);
    return h.handle(event.id).result();
  }
  /** The pushes to the user, in order. */
  const pushes = (lineUserId: string) => h.line.received({ userId: lineUserId, kind: 'push' });
  type Notice = LineMessage & {
    quickReply?: { items: Array<{ action: { type: string; data?: string } }> };
  };
  const only = (lineUserId: string): Notice => {
    const all = pushes(lineUserId).flatMap((r) => r.messages ?? []);
    expect(all).toHaveLength(1);
    return all[0] as Notice;
  };

  it('points: added, new balance, the plan and its limit, that points do not lift it, and the plans that do', async () => {
    const { user, metadata } = await purchaser('points_500');
    await process(
      stripeEvent(
        'checkout.session.completed',
        checkoutSession({ metadata, mode: 'payment', amountTotal: 500 }),
      ),
    );
    const notice = only(user.lineUserId);
    expect(notice.text).toContain('500ポイントを付与しました');
    expect(notice.text).toContain('現在の残高は500ポイントです');
    expect(notice.text).toContain('現在のプラン: フリー（1日3回）');
    expect(notice.text).toContain('ポイントを購入しても1日の利用回数（3回）は増えません');
    expect(
      notice.quickReply?.items
        .filter((i) => i.action.type === 'postback')
        .map((i) => i.action.data),
    ).toEqual(['action=buy&product=sub_basic', 'action=buy&product=sub_premium']);
  });

  it('tickets: added and how many are left', async () => {
    const { user, metadata } = await purchaser('tickets_5');
    await process(
      stripeEvent(
        'checkout.session.completed',
        checkoutSession({ metadata, mode: 'payment', amountTotal: 1200 }),
      ),
    );
    const notice = only(user.lineUserId);
    expect(notice.text).toContain('スタンプチケットを5枚追加しました');
    expect(notice.text).toContain('残り 5 枚');
  });

  it("a subscription: the plan's daily limit and the balance; a switch of plan told once", async () => {
    const { user, metadata } = await purchaser('sub_basic');
    const customerId = stripeId('cus');
    const subscriptionId = stripeId('sub');
    const start = now();
    await process(
      stripeEvent(
        'invoice.paid',
        invoice({
          customerId,
          subscriptionId,
          billingReason: 'subscription_create',
          amountPaid: 980,
          metadata,
          periodStart: start,
          periodEnd: start + 30 * DAY,
        }),
      ),
    );
    const paid = only(user.lineUserId);
    expect(paid.text).toContain('ベーシックプランへのご登録ありがとうございます');
    expect(paid.text).toContain('1日の利用回数: 10回（ベーシック）');
    expect(paid.text).toContain('ポイント残高: 1000 pt');

    const premium = subscription({
      id: subscriptionId,
      customerId,
      status: 'active',
      metadata: { ...metadata, productId: 'sub_premium' },
      priceYen: 2980,
      periodStart: start,
      periodEnd: start + 30 * DAY,
    });
    expect(await process(stripeEvent('customer.subscription.updated', premium))).toMatchObject({
      changed: true,
      planId: 'premium',
      notified: true,
    });
    // The same change reported again (another event) says nothing more.
    expect(await process(stripeEvent('customer.subscription.updated', premium))).toMatchObject({
      changed: false,
      notified: false,
    });
    const texts = h.line.textsFor(user.lineUserId);
    expect(texts).toHaveLength(2);
    expect(texts[1]).toContain('プランをベーシックからプレミアムに変更しました');
    expect(texts[1]).toContain('1日の利用回数は50回になります');
  });
});
