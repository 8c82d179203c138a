import { randomUUID } from 'node:crypto';
import { WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { checkoutSourceRef, invoiceSourceRef } from '../../billing/grants';
import { startBillingHarness, type BillingHarness } from '../support/billing-harness';
import {
  checkoutSession,
  invoice,
  refundedCharge,
  stripeEvent,
  stripeId,
  subscription,
  type PurchaseMetadata,
  type StripeEventJson,
} from '../support/stripe-events';
import { waitFor } from '../support/workers';
import { payloadCodec } from '../../lib/temporal';

/**
 * Stripe webhook → grant workflow → ledger, tickets, plan, LINE notice: the real API, a real
 * worker on the billing queue, the real Temporal server and database. Payloads are built as
 * Stripe sends them and signed with the webhook secret.
 */
describe('Stripe webhook and grant workflow', () => {
  let h: BillingHarness;
  const DAY = 24 * 60 * 60;
  const now = () => Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    h = await startBillingHarness('billing');
  });
  afterAll(async () => {
    await h.stop();
  });

  async function purchaser(productId: string) {
    const user = await h.newUser();
    const metadata: PurchaseMetadata = { userId: user.id, productId, lineUserId: user.lineUserId };
    return { user, metadata };
  }

  /** Delivers and waits for the workflow's result. */
  async function process(event: StripeEventJson) {
    const res = await h.deliver(event);
    expect(res.status).toBe(200);
    return h.handle(event.id).result();
  }

  /**
   * A basic-plan (¥980) invoice for the `month`-th 30-day period from `start`: month 0 creates
   * the subscription, later ones renew it.
   */
  const basicInvoice = (o: {
    customerId: string;
    subscriptionId: string;
    metadata: Parameters<typeof invoice>[0]['metadata'];
    start: number;
    month: number;
  }) =>
    invoice({
      customerId: o.customerId,
      subscriptionId: o.subscriptionId,
      billingReason: o.month === 0 ? 'subscription_create' : 'subscription_cycle',
      amountPaid: 980,
      metadata: o.metadata,
      periodStart: o.start + o.month * 30 * DAY,
      periodEnd: o.start + (o.month + 1) * 30 * DAY,
    });
  const balance = async (userId: string) => (await h.ledger.getBalance(userId)).balance;
  const grantsOf = (userId: string) =>
    h.db.pointGrant.findMany({ where: { userId }, orderBy: { createdAt: 'asc' } });

  it('checkout.session.completed for a points pack grants the points once, with expiry, and tells the user', async () => {
    const { user, metadata } = await purchaser('points_500');
    const session = checkoutSession({ metadata, mode: 'payment', amountTotal: 500 });
    const event = stripeEvent('checkout.session.completed', session);

    const res = await h.deliver(event);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      received: true,
      handled: true,
      workflowId: `stripe-${event.id}`,
      duplicate: false,
    });
    const result = await h.handle(event.id).result();
    expect(result).toMatchObject({
      kind: 'checkout_completed',
      userId: user.id,
      changed: true,
      points: 500,
    });

    expect(await balance(user.id)).toBe(500);
    const [grant] = await grantsOf(user.id);
    expect(grant).toMatchObject({ sourceRef: checkoutSourceRef(String(session.id)), points: 500 });
    expect(grant?.expiresAt?.getTime()).toBe((event.created + 180 * DAY) * 1000);
    const linked = await h.db.user.findUniqueOrThrow({ where: { id: user.id } });
    expect(linked.stripeCustomerId).toBe(session.customer);
    const push = await h.line.waitFor((r) => r.kind === 'push' && r.to === user.lineUserId);
    expect(push.messages?.[0]?.text).toContain('500ポイントを付与しました');
    expect(
      await h.db.processedEvent.count({ where: { source: 'stripe', eventId: event.id } }),
    ).toBe(1);
  });

  it('the same event delivered ten times (concurrently) starts one workflow and grants once', async () => {
    const { user, metadata } = await purchaser('points_1200');
    const event = stripeEvent(
      'checkout.session.completed',
      checkoutSession({ metadata, mode: 'payment', amountTotal: 1000 }),
    );
    const responses = await Promise.all(Array.from({ length: 10 }, () => h.deliver(event)));
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as Array<{
      duplicate: boolean;
    }>;
    expect(bodies.filter((b) => !b.duplicate)).toHaveLength(1);
    await h.handle(event.id).result();
    // And once more after it finished.
    const late = await h.deliver(event);
    expect(await late.json()).toMatchObject({ duplicate: true });

    expect(await grantsOf(user.id)).toHaveLength(1);
    expect(await balance(user.id)).toBe(1200);
    const runs = h.temporal.workflow.list({ query: `WorkflowId = 'stripe-${event.id}'` });
    let count = 0;
    for await (const _run of runs) count++;
    expect(count).toBe(1);
  });

  it('another event about the same checkout session (a new event ID) grants nothing more', async () => {
    const { user, metadata } = await purchaser('points_500');
    const session = checkoutSession({ metadata, mode: 'payment', amountTotal: 500 });
    await process(stripeEvent('checkout.session.completed', session));
    const again = await process(stripeEvent('checkout.session.async_payment_succeeded', session));
    expect(again).toMatchObject({ changed: false, points: 500 });
    expect(await grantsOf(user.id)).toHaveLength(1);
    expect(await balance(user.id)).toBe(500);
  });

  it('a ticket pack creates one ticket row per ticket, once per session', async () => {
    const { user, metadata } = await purchaser('tickets_5');
    const session = checkoutSession({ metadata, mode: 'payment', amountTotal: 1200 });
    expect(await process(stripeEvent('checkout.session.completed', session))).toMatchObject({
      changed: true,
      tickets: 5,
    });
    await process(stripeEvent('checkout.session.completed', session)); // new event ID, same session
    const tickets = await h.db.lineStampTicket.findMany({ where: { userId: user.id } });
    expect(tickets.map((t) => t.sourceRef).sort()).toEqual(
      [1, 2, 3, 4, 5].map((n) => `checkout:${String(session.id)}:${n}`).sort(),
    );
    const push = await h.line.waitFor((r) => r.kind === 'push' && r.to === user.lineUserId);
    expect(push.messages?.[0]?.text).toContain('スタンプチケットを5枚追加しました');
  });

  it('a grant to a user with a negative lot offsets the debt first (seed 003)', async () => {
    const { user, metadata } = await purchaser('points_500');
    await h.ledger.adjustPoints({
      sourceRef: `test-debt:${randomUUID()}`,
      userId: user.id,
      delta: -150,
      reason: 'test overdraft',
    });
    expect(await balance(user.id)).toBe(-150);
    await process(
      stripeEvent(
        'checkout.session.completed',
        checkoutSession({ metadata, mode: 'payment', amountTotal: 500 }),
      ),
    );
    const lots = await h.db.pointLot.findMany({ where: { userId: user.id } });
    expect(lots.map((l) => l.amount)).toEqual([350]);
    expect(await balance(user.id)).toBe(350);
    expect(await h.ledger.replayCheck(user.id)).toEqual([]);
  });

  describe('subscriptions', () => {
    it('invoice.paid BEFORE checkout.session.completed: user from the subscription metadata; renewals; stale repeats', async () => {
      const { user, metadata } = await purchaser('sub_basic');
      const customerId = stripeId('cus');
      const subscriptionId = stripeId('sub');
      const start = now();
      const first = basicInvoice({
        customerId,
        subscriptionId,
        metadata: metadata,
        start,
        month: 0,
      });

      // 1. The first invoice arrives before the checkout: nothing is linked yet.
      expect(await process(stripeEvent('invoice.paid', first))).toMatchObject({
        kind: 'invoice_paid',
        userId: user.id,
        changed: true,
        points: 1000,
        planId: 'basic',
      });
      let row = await h.db.user.findUniqueOrThrow({ where: { id: user.id } });
      expect(row).toMatchObject({
        planId: 'basic',
        stripeSubscriptionId: subscriptionId,
        stripeCustomerId: customerId,
      });
      expect(row.planPeriodEnd?.getTime()).toBe((start + 30 * DAY) * 1000);
      const welcome = await h.line.waitFor((r) => r.kind === 'push' && r.to === user.lineUserId);
      expect(welcome.messages?.[0]?.text).toContain(
        'ベーシックプランへのご登録ありがとうございます',
      );

      // 2. Then the checkout: links what is already linked, grants nothing.
      const session = checkoutSession({
        metadata,
        mode: 'subscription',
        amountTotal: 980,
        customerId,
        subscriptionId,
      });
      expect(await process(stripeEvent('checkout.session.completed', session))).toMatchObject({
        changed: false,
        notified: false,
      });
      expect(await balance(user.id)).toBe(1000);

      // 3. A renewal: the next month's points and period.
      const renewal = basicInvoice({
        customerId,
        subscriptionId,
        metadata: metadata,
        start,
        month: 1,
      });
      await process(stripeEvent('invoice.paid', renewal));
      row = await h.db.user.findUniqueOrThrow({ where: { id: user.id } });
      expect(row.planPeriodEnd?.getTime()).toBe((start + 60 * DAY) * 1000);
      expect(await balance(user.id)).toBe(2000);

      // 4. The first invoice again (new event ID): no points, the period does not move back.
      expect(await process(stripeEvent('invoice.paid', first))).toMatchObject({ changed: false });
      row = await h.db.user.findUniqueOrThrow({ where: { id: user.id } });
      expect(row.planPeriodEnd?.getTime()).toBe((start + 60 * DAY) * 1000);
      expect((await grantsOf(user.id)).map((g) => g.sourceRef)).toEqual([
        invoiceSourceRef(String(first.id)),
        invoiceSourceRef(String(renewal.id)),
      ]);
      expect(await balance(user.id)).toBe(2000);
    });

    it('plan change on customer.subscription.updated; back to free on .deleted; a late invoice cannot revive it', async () => {
      const { user, metadata } = await purchaser('sub_basic');
      const customerId = stripeId('cus');
      const subscriptionId = stripeId('sub');
      const start = now();
      await process(
        stripeEvent(
          'invoice.paid',
          basicInvoice({ customerId, subscriptionId, metadata: metadata, start, month: 0 }),
        ),
      );

      // Upgrade: our plan-change code keeps the subscription's productId in step.
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
      });
      expect((await h.db.user.findUniqueOrThrow({ where: { id: user.id } })).planId).toBe(
        'premium',
      );

      // Cancelled at the period end: the plan stays until Stripe ends the subscription.
      const cancelling = { ...premium, cancel_at_period_end: true };
      expect(await process(stripeEvent('customer.subscription.updated', cancelling))).toMatchObject(
        {
          changed: false,
          planId: 'premium',
        },
      );

      const ended = { ...premium, status: 'canceled', ended_at: now(), canceled_at: now() };
      expect(await process(stripeEvent('customer.subscription.deleted', ended))).toMatchObject({
        changed: true,
        planId: 'free',
        notified: true,
      });
      const row = await h.db.user.findUniqueOrThrow({ where: { id: user.id } });
      expect(row).toMatchObject({
        planId: 'free',
        planPeriodEnd: null,
        stripeSubscriptionId: null,
      });
      const notice = await h.line.waitFor(
        (r) =>
          r.kind === 'push' &&
          r.to === user.lineUserId &&
          /プランに戻りました/.test(r.messages?.[0]?.text ?? ''),
      );
      expect(notice.messages?.[0]?.text).toContain('フリープランに戻りました');

      // A renewal invoice of the ended subscription, delivered late: paid points stay paid,
      // but the plan does not come back.
      const late = basicInvoice({
        customerId,
        subscriptionId,
        metadata: metadata,
        start,
        month: 1,
      });
      expect(await process(stripeEvent('invoice.paid', late))).toMatchObject({
        detail: 'subscription already ended',
      });
      expect((await h.db.user.findUniqueOrThrow({ where: { id: user.id } })).planId).toBe('free');
      // And the deleted event again changes nothing.
      expect(await process(stripeEvent('customer.subscription.deleted', ended))).toMatchObject({
        changed: false,
      });
    });
  });

  describe('refunds', () => {
    it('charge.refunded takes back points in proportion, once per refund, partial then full', async () => {
      const { user, metadata } = await purchaser('points_1200');
      const session = checkoutSession({ metadata, mode: 'payment', amountTotal: 1000 });
      await process(stripeEvent('checkout.session.completed', session));
      const chargeId = stripeId('ch');
      const first = { id: stripeId('re'), amount: 250, created: now() - 10 };

      const partial = refundedCharge({ id: chargeId, amount: 1000, refunds: [first], metadata });
      expect(await process(stripeEvent('charge.refunded', partial))).toMatchObject({
        kind: 'charge_refunded',
        changed: true,
        points: 300,
      });
      expect(await balance(user.id)).toBe(900);

      // The second refund's event lists both refunds; the first is not taken twice.
      const second = { id: stripeId('re'), amount: 750, created: now() - 5 };
      const full = refundedCharge({
        id: chargeId,
        amount: 1000,
        refunds: [first, second],
        metadata,
      });
      expect(await process(stripeEvent('charge.refunded', full))).toMatchObject({
        changed: true,
        points: 1200,
      });
      expect(await balance(user.id)).toBe(0);

      // Either event again: nothing.
      expect(await process(stripeEvent('charge.refunded', partial))).toMatchObject({
        changed: false,
      });
      expect(await balance(user.id)).toBe(0);
      const adjustments = (await grantsOf(user.id)).filter((g) =>
        g.sourceRef.startsWith('refund:'),
      );
      expect(adjustments.map((g) => [g.sourceRef, g.points])).toEqual([
        [`refund:${chargeId}:${first.id}`, -300],
        [`refund:${chargeId}:${second.id}`, -900],
      ]);
      expect(await h.ledger.replayCheck(user.id)).toEqual([]);
    });

    it('spent points are still taken back (the balance goes negative); unused tickets are revoked', async () => {
      const { user, metadata } = await purchaser('points_500');
      await process(
        stripeEvent(
          'checkout.session.completed',
          checkoutSession({ metadata, mode: 'payment', amountTotal: 500 }),
        ),
      );
      await h.ledger.adjustPoints({
        sourceRef: `test-spend:${randomUUID()}`,
        userId: user.id,
        delta: -400,
        reason: 'spent',
      });
      await process(
        stripeEvent(
          'charge.refunded',
          refundedCharge({ amount: 500, refunds: [{ amount: 500 }], metadata }),
        ),
      );
      expect(await balance(user.id)).toBe(-400);

      const tickets = { ...metadata, productId: 'tickets_5' };
      await process(
        stripeEvent(
          'checkout.session.completed',
          checkoutSession({ metadata: tickets, mode: 'payment', amountTotal: 1200 }),
        ),
      );
      const refund = refundedCharge({
        amount: 1200,
        refunds: [{ amount: 480 }],
        metadata: tickets,
      });
      expect(await process(stripeEvent('charge.refunded', refund))).toMatchObject({ tickets: 2 });
      expect(await process(stripeEvent('charge.refunded', refund))).toMatchObject({
        changed: false,
      });
      const left = await h.db.lineStampTicket.count({
        where: { userId: user.id, deletedAt: null },
      });
      expect(left).toBe(3);
    });

    it('fetches the refunds from Stripe when the payload does not list them (current API versions)', async () => {
      const { user, metadata } = await purchaser('points_500');
      await process(
        stripeEvent(
          'checkout.session.completed',
          checkoutSession({ metadata, mode: 'payment', amountTotal: 500 }),
        ),
      );
      const charge = refundedCharge({ amount: 500, refunds: [], metadata, listRefunds: false });
      // stripe-mock answers the refund list with its fixture; the rule applies to whatever it lists.
      const listed = await h.stripe.refunds.list({ charge: String(charge.id), limit: 100 });
      const expected = Math.floor(
        (500 *
          Math.min(
            500,
            listed.data.reduce((n, r) => n + r.amount, 0),
          )) /
          500,
      );
      const result = await process(stripeEvent('charge.refunded', charge));
      expect(result).toMatchObject({ kind: 'charge_refunded', points: expected });
      expect(await balance(user.id)).toBe(500 - expected);
    });
    it('a refund nobody can attribute to a product fails visibly, after asking Stripe', async () => {
      const { user } = await purchaser('points_500');
      // A charge without our metadata, e.g. made in the dashboard: the PaymentIntent and its
      // invoice are looked up at Stripe (stripe-mock fixtures carry no productId either).
      const charge = refundedCharge({
        amount: 500,
        refunds: [{ amount: 500 }],
        metadata: { userId: user.id },
      });
      const event = stripeEvent('charge.refunded', charge);
      expect((await h.deliver(event)).status).toBe(200);
      const err = await h
        .handle(event.id)
        .result()
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const cause = (err as WorkflowFailedError).cause?.cause as Error | undefined;
      expect(cause?.message).toContain(
        `refund of charge ${String(charge.id)}: cannot tell what it bought`,
      );
      expect(await balance(user.id)).toBe(0);
    });
  });

  describe('bad input', () => {
    const anEvent = () =>
      stripeEvent(
        'checkout.session.completed',
        checkoutSession({
          metadata: { userId: randomUUID(), productId: 'points_500', lineUserId: 'Ux' },
          mode: 'payment',
          amountTotal: 500,
        }),
      );

    async function notStarted(eventId: string) {
      await expect(h.handle(eventId).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
      expect(await h.db.processedEvent.count({ where: { eventId } })).toBe(0);
    }

    it('a wrong signature → 400, nothing started', async () => {
      const event = anEvent();
      const res = await h.deliver(event, { secret: 'whsec_not_our_secret' });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error_code: 'INVALID_SIGNATURE' });
      await notStarted(event.id);
    });

    it('a missing signature → 400; a signature for another body → 400', async () => {
      const event = anEvent();
      expect((await h.deliver(event, { signature: null })).status).toBe(400);
      const other = await h.deliver(event, {
        signature: `t=${now()},v1=${'0'.repeat(64)}`,
      });
      expect(other.status).toBe(400);
      await notStarted(event.id);
    });

    it('an expired timestamp (a replayed delivery) → 400', async () => {
      const event = anEvent();
      const res = await h.deliver(event, { timestamp: now() - 600 });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(/tolerance/i);
      await notStarted(event.id);
    });

    it('an unknown event type → 200 and a log line, nothing started', async () => {
      const event = stripeEvent('customer.created', { id: stripeId('cus'), object: 'customer' });
      const res = await h.deliver(event);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({
        received: true,
        handled: false,
        reason: 'event type not handled',
      });
      await notStarted(event.id);
    });

    it('an event for an unknown customer waits, visibly, and proceeds once the customer is linked', async () => {
      const customerId = stripeId('cus');
      const subscriptionId = stripeId('sub');
      const start = now();
      // A subscription made outside our checkout: no metadata naming the user.
      const inv = basicInvoice({ customerId, subscriptionId, metadata: null, start, month: 0 });
      (
        inv.parent as { subscription_details: { metadata: unknown } }
      ).subscription_details.metadata = {
        productId: 'sub_basic',
      };
      const event = stripeEvent('invoice.paid', inv);
      expect((await h.deliver(event)).status).toBe(200);

      const handle = h.handle(event.id);
      const pending = await waitFor(async () => {
        const d = await handle.describe();
        const activity = d.raw.pendingActivities?.[0];
        return (activity?.attempt ?? 0) >= 2 ? { status: d.status.name, activity } : undefined;
      }, 'the user look-up to retry');
      expect(pending.status).toBe('RUNNING');
      expect(pending.activity?.activityType?.name).toBe('resolveBillingUser');
      // Failure messages are sealed (lib/failure-converter.ts): what an operator reads through
      // the codec (the Web UI's codec endpoint) is the reason.
      const lastFailure = pending.activity?.lastFailure;
      expect(lastFailure?.message).toBe('Encoded failure');
      const [opened] = await payloadCodec(h.config.env).decode([lastFailure!.encodedAttributes!]);
      expect(JSON.parse(Buffer.from(opened!.data!).toString()).message).toContain(
        `no user is linked to Stripe customer ${customerId}`,
      );

      // An operator (or the checkout event) links the customer: the next attempt finds the user.
      const user = await h.newUser();
      await h.db.user.update({ where: { id: user.id }, data: { stripeCustomerId: customerId } });
      const result = await handle.result();
      expect(result).toMatchObject({ userId: user.id, points: 1000, planId: 'basic' });
    }, 60_000);

    it('an event naming a user that does not exist fails the workflow with a clear reason', async () => {
      const ghost = randomUUID();
      const event = stripeEvent(
        'checkout.session.completed',
        checkoutSession({
          metadata: { userId: ghost, productId: 'points_500', lineUserId: 'U' + '0'.repeat(32) },
          mode: 'payment',
          amountTotal: 500,
        }),
      );
      expect((await h.deliver(event)).status).toBe(200);
      const err = await h
        .handle(event.id)
        .result()
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const cause = (err as WorkflowFailedError).cause?.cause as Error | undefined;
      expect(cause?.message).toContain(`user ${ghost} named by the Stripe metadata does not exist`);
    });
  });
});
