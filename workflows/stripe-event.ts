import { log, patched, proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { BillingActivities, BillingOutcome, BillingUser } from '../activities/billing';
import type { LineMessagingActivities } from '../activities/line-messaging';
import type { BillingEvent, BillingEventKind } from '../billing/events';
import { BILLING_NON_RETRYABLE_TYPES } from '../billing/failures';
import { LineUserIdKey } from '../config/task-queues';
import { LINE_NOTICE_OPTIONS, retryUntilDone } from './support/activity-options';

/**
 * One workflow per Stripe event, ID `stripe-<event id>`: the API starts it with
 * REJECT_DUPLICATE, so a redelivered event is a no-op. The effects are idempotent by their
 * BUSINESS object on top of that (checkout session, invoice, refund; billing/grants.ts), so two
 * different events about one payment, or an event redelivered after Temporal's retention, do
 * not grant twice either.
 */
export { stripeEventWorkflowId } from './support/ids';

/** Grants must land once the customer has paid: retried until the database is back. */
const billing = proxyActivities<BillingActivities>({
  startToCloseTimeout: '30 seconds',
  retry: retryUntilDone(BILLING_NON_RETRYABLE_TYPES),
});

/**
 * Finding the user may have to wait: an event can name a Stripe customer before the checkout
 * that links it has been processed. The look-up retries with backoff for up to a day, visible
 * in the Temporal UI as a retrying activity whose last failure says what it waits for; after
 * that the workflow fails with that message (an operator links the customer and resets).
 */
const lookup = proxyActivities<BillingActivities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '1 day',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '10 minutes',
    nonRetryableErrorTypes: BILLING_NON_RETRYABLE_TYPES,
  },
});

const line = proxyActivities<LineMessagingActivities>(LINE_NOTICE_OPTIONS);

export interface StripeEventResult {
  kind: BillingEventKind;
  userId: string;
  changed: boolean;
  points?: number;
  tickets?: number;
  planId?: string;
  detail?: string;
  notified: boolean;
}

export async function stripeEvent(event: BillingEvent): Promise<StripeEventResult> {
  const user = await lookup.resolveBillingUser(event.owner);
  // Operators find a user's grants by LINE user ID, even when the event did not name it.
  upsertSearchAttributes([{ key: LineUserIdKey, value: user.lineUserId }]);

  const outcome = await apply(event, user);
  const notified = await notify(user, outcome);
  return {
    kind: event.kind,
    userId: user.userId,
    changed: outcome.changed,
    ...(outcome.points !== undefined ? { points: outcome.points } : {}),
    ...(outcome.tickets !== undefined ? { tickets: outcome.tickets } : {}),
    ...(outcome.planId !== undefined ? { planId: outcome.planId } : {}),
    ...(outcome.detail !== undefined ? { detail: outcome.detail } : {}),
    notified,
  };
}

async function apply(event: BillingEvent, user: BillingUser): Promise<BillingOutcome> {
  const { userId } = user;
  switch (event.kind) {
    case 'checkout_completed': {
      const { linked } = await billing.linkStripeCustomer({
        userId,
        customerId: event.owner.customerId,
        subscriptionId: event.owner.subscriptionId,
      });
      // A subscription's plan and points come with its invoice.paid, which may come first.
      if (event.mode === 'subscription')
        return { changed: linked, notice: [], noticeId: `checkout:${event.sessionId}` };
      return billing.grantPurchase({
        userId,
        sessionId: event.sessionId,
        productId: event.productId,
        paidAt: event.created,
        amountTotal: event.amountTotal,
        currency: event.currency,
      });
    }
    case 'invoice_paid':
      return billing.grantSubscriptionPeriod({
        userId,
        invoiceId: event.invoiceId,
        productId: event.productId,
        billingReason: event.billingReason,
        amountPaid: event.amountPaid,
        currency: event.currency,
        paidAt: event.created,
        subscriptionId: event.subscriptionId,
        customerId: event.owner.customerId,
        periodEnd: event.periodEnd,
      });
    case 'subscription_changed':
      return billing.applySubscriptionChange({
        userId,
        subscriptionId: event.subscriptionId,
        status: event.status,
        deleted: event.deleted,
        productId: event.productId,
        periodEnd: event.periodEnd,
        customerId: event.owner.customerId,
      });
    case 'charge_refunded':
      return billing.takeBackRefund({
        userId,
        chargeId: event.chargeId,
        paymentIntentId: event.paymentIntentId,
        amount: event.amount,
        refunds: event.refunds,
        productId: event.productId,
      });
  }
}

/**
 * Patch: the notice goes out as LINE messages with buttons (the subscriptions that lift the
 * daily limit, after a points purchase); grants from before send the plain texts they computed.
 */
export const BILLING_NOTICE_MESSAGES = 'billing-notice-messages';

/** A short LINE push; the grant stands even if the user blocked the account. */
async function notify(user: BillingUser, outcome: BillingOutcome): Promise<boolean> {
  if (outcome.notice.length === 0) return false;
  const asMessages = outcome.messages?.length && patched(BILLING_NOTICE_MESSAGES);
  try {
    await line.deliverMessages({
      lineUserId: user.lineUserId,
      ...(asMessages ? { texts: [], messages: outcome.messages } : { texts: outcome.notice }),
      deliveryId: `billing:${outcome.noticeId}`,
    });
    return true;
  } catch (err) {
    log.warn('billing notice not delivered', { noticeId: outcome.noticeId, error: String(err) });
    return false;
  }
}
