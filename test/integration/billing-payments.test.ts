import { WorkflowFailedError } from '@temporalio/client';
import { startBillingHarness, type BillingHarness } from '../support/billing-harness';
import {
  checkoutSession,
  refundedCharge,
  stripeEvent,
  stripeId,
  type PurchaseMetadata,
  type StripeEventJson,
} from '../support/stripe-events';

/**
 * Issue #13, grants equal payments: a signed checkout.session.completed whose amount or
 * currency is not the product's catalog price grants nothing and fails visibly; signatures
 * dated in the future are refused.
 */
describe('grants equal payments', () => {
  let h: BillingHarness;

  beforeAll(async () => {
    h = await startBillingHarness('payments');
  });
  afterAll(async () => {
    await h?.stop();
  });

  async function purchaser(productId: string) {
    const user = await h.newUser();
    const metadata: PurchaseMetadata = { userId: user.id, productId, lineUserId: user.lineUserId };
    return { user, metadata };
  }

  async function failureOf(event: StripeEventJson) {
    expect((await h.deliver(event)).status).toBe(200);
    const err: unknown = await h
      .handle(event.id)
      .result()
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause as {
      cause?: { type?: string; message?: string };
    };
    return cause.cause;
  }

  it.each([
    ['amount 1 yen', { amountTotal: 1 }],
    ['0 in usd', { amountTotal: 0, currency: 'usd' }],
    ['the price in usd', { amountTotal: 1000, currency: 'usd' }],
  ])('a tampered payment (%s) grants nothing and fails with the reason', async (_label, paid) => {
    const { user, metadata } = await purchaser('points_1200');
    const session = checkoutSession({ metadata, mode: 'payment', ...paid });
    const failure = await failureOf(stripeEvent('checkout.session.completed', session));
    expect(failure?.type).toBe('PAYMENT_MISMATCH');
    expect(failure?.message).toMatch(/points_1200/);
    expect((await h.ledger.getBalance(user.id)).balance).toBe(0);
    expect(await h.db.pointGrant.count({ where: { userId: user.id } })).toBe(0);
  });

  it('a ticket pack paid below its price grants no ticket', async () => {
    const { user, metadata } = await purchaser('tickets_5');
    const session = checkoutSession({ metadata, mode: 'payment', amountTotal: 300 });
    const failure = await failureOf(stripeEvent('checkout.session.completed', session));
    expect(failure?.type).toBe('PAYMENT_MISMATCH');
    expect(await h.db.lineStampTicket.count({ where: { userId: user.id } })).toBe(0);
  });

  it('the catalog price in yen grants', async () => {
    const { user, metadata } = await purchaser('points_1200');
    const event = stripeEvent(
      'checkout.session.completed',
      checkoutSession({ metadata, mode: 'payment', amountTotal: 1000 }),
    );
    expect((await h.deliver(event)).status).toBe(200);
    expect(await h.handle(event.id).result()).toMatchObject({ changed: true, points: 1200 });
    expect((await h.ledger.getBalance(user.id)).balance).toBe(1200);
  });

  it('a refund after a purge of processed_events takes tickets back once (durable record)', async () => {
    const { user, metadata } = await purchaser('tickets_5');
    const grant = stripeEvent(
      'checkout.session.completed',
      checkoutSession({ metadata, mode: 'payment', amountTotal: 1200 }),
    );
    expect((await h.deliver(grant)).status).toBe(200);
    await h.handle(grant.id).result();
    const chargeId = stripeId('ch');
    const first = { id: stripeId('re'), amount: 480 };
    const partial = refundedCharge({ id: chargeId, amount: 1200, refunds: [first], metadata });
    const e1 = stripeEvent('charge.refunded', partial);
    expect((await h.deliver(e1)).status).toBe(200);
    expect(await h.handle(e1.id).result()).toMatchObject({ tickets: 2 });
    const left = () => h.db.lineStampTicket.count({ where: { userId: user.id, deletedAt: null } });
    expect(await left()).toBe(3);

    // Retention purges processed_events after 30 days: simulated by deleting them all.
    await h.db.processedEvent.deleteMany({ where: { source: 'stripe' } });

    // Stripe redelivers the same refund in a new event: nothing more is taken back.
    const e2 = stripeEvent('charge.refunded', partial);
    expect((await h.deliver(e2)).status).toBe(200);
    expect(await h.handle(e2.id).result()).toMatchObject({ changed: false });
    expect(await left()).toBe(3);
    const record = await h.db.idempotencyRecord.findFirst({
      where: { key: { startsWith: `refund:${chargeId}:` } },
    });
    expect(record).toMatchObject({ kind: 'refund', userId: user.id });
  });

  it('refuses a signature timestamp more than 5 minutes in the future (400)', async () => {
    const { metadata } = await purchaser('points_500');
    const event = stripeEvent(
      'checkout.session.completed',
      checkoutSession({ metadata, mode: 'payment', amountTotal: 500 }),
    );
    const tenYears = Math.floor(Date.now() / 1000) + 10 * 365 * 24 * 3600;
    const res = await h.deliver(event, { timestamp: tenYears });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toMatch(/future/);
    const soon = await h.deliver(event, { timestamp: Math.floor(Date.now() / 1000) + 60 });
    expect(soon.status).toBe(200);
  });
});
