import type Stripe from 'stripe';

/**
 * Stripe events reduced to what the grant workflow needs (workflow input). Verified events
 * only: the webhook route calls this after `constructEvent`. Keeping the input small keeps
 * Temporal history small and free of what we do not need (names, emails, card details).
 *
 * Read both the current API shape and the legacy one where Stripe moved a field (invoice
 * subscription → `parent.subscription_details`, subscription period → its items), because the
 * shape follows the API version of the webhook endpoint, not of this SDK.
 */

/** What may identify the user behind an event, strongest first. */
export interface OwnerHints {
  /** Our users.id, from `client_reference_id` or the metadata set at checkout. */
  userId?: string;
  lineUserId?: string;
  customerId?: string;
  subscriptionId?: string;
}

interface EventBase {
  eventId: string;
  eventType: string;
  /** When Stripe created the event (Unix seconds): the purchase time of a grant. */
  created: number;
  owner: OwnerHints;
  /** Catalog product ID from our metadata, when the object carries it. */
  productId?: string;
}

export interface RefundLine {
  id: string;
  /** In the charge's currency's smallest unit (yen). */
  amount: number;
  created: number;
  status: string | null;
}

export type BillingEvent =
  | (EventBase & {
      kind: 'checkout_completed';
      sessionId: string;
      mode: 'payment' | 'subscription';
      /** What the customer paid (`amount_total`, smallest unit) and in which currency. */
      amountTotal?: number;
      currency?: string;
    })
  | (EventBase & {
      kind: 'invoice_paid';
      invoiceId: string;
      subscriptionId: string;
      /** `subscription_create` (first period), `subscription_cycle` (renewal), ... */
      billingReason: string | null;
      amountPaid: number;
      currency?: string;
      /** End of the subscription period this invoice paid for (Unix seconds). */
      periodEnd?: number;
    })
  | (EventBase & {
      kind: 'subscription_changed';
      subscriptionId: string;
      status: string;
      /** `customer.subscription.deleted`: the subscription has ended. */
      deleted: boolean;
      cancelAtPeriodEnd: boolean;
      periodEnd?: number;
    })
  | (EventBase & {
      kind: 'charge_refunded';
      chargeId: string;
      paymentIntentId?: string;
      amount: number;
      amountRefunded: number;
      /** The charge's refunds when the payload lists them all; otherwise fetched from Stripe. */
      refunds?: RefundLine[];
    });

export interface IgnoredEvent {
  kind: 'ignored';
  eventId: string;
  eventType: string;
  reason: string;
}

export type BillingEventKind = BillingEvent['kind'];

/** The event types the webhook acts on; every other type is acknowledged and logged. */
export const HANDLED_EVENT_TYPES = [
  'checkout.session.completed',
  'checkout.session.async_payment_succeeded',
  'invoice.paid',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'charge.refunded',
] as const;

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An expandable field: an ID string or the expanded object. */
function idOf(v: unknown): string | undefined {
  if (typeof v === 'string' && v) return v;
  if (isObj(v) && typeof v.id === 'string' && v.id) return v.id;
  return undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function metadataOf(v: unknown): Obj {
  return isObj(v) ? v : {};
}

function hints(metadata: Obj, extra: OwnerHints): OwnerHints {
  const owner: OwnerHints = {
    userId: extra.userId ?? str(metadata.userId),
    lineUserId: str(metadata.lineUserId),
    customerId: extra.customerId,
    subscriptionId: extra.subscriptionId,
  };
  // Undefined keys would survive JSON as absent anyway; dropping them keeps history tidy.
  return Object.fromEntries(Object.entries(owner).filter(([, v]) => v !== undefined)) as OwnerHints;
}

function withProduct<T extends object>(base: T, productId: string | undefined): T {
  return productId ? { ...base, productId } : base;
}

function ignored(event: Pick<Stripe.Event, 'id' | 'type'>, reason: string): IgnoredEvent {
  return { kind: 'ignored', eventId: event.id, eventType: event.type, reason };
}

export function toBillingEvent(event: Stripe.Event): BillingEvent | IgnoredEvent {
  const object: unknown = event.data?.object;
  if (!isObj(object)) return ignored(event, 'event without a data object');
  const base = { eventId: event.id, eventType: event.type, created: event.created };

  switch (event.type) {
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded':
      return fromCheckoutSession(event, object, base);
    case 'invoice.paid':
      return fromInvoice(event, object, base);
    case 'customer.subscription.updated':
    case 'customer.subscription.deleted':
      return fromSubscription(event, object, base);
    case 'charge.refunded':
      return fromCharge(event, object, base);
    default:
      return ignored(event, 'event type not handled');
  }
}

type Base = Pick<EventBase, 'eventId' | 'eventType' | 'created'>;

function fromCheckoutSession(event: Stripe.Event, s: Obj, base: Base) {
  const sessionId = str(s.id);
  if (!sessionId) return ignored(event, 'checkout session without an id');
  const mode: unknown = s.mode;
  if (mode !== 'payment' && mode !== 'subscription')
    return ignored(event, `checkout mode ${String(mode)} grants nothing`);
  const checkoutMode: 'payment' | 'subscription' = mode;
  // Delayed payment methods complete the session unpaid; their
  // checkout.session.async_payment_succeeded (same session, same grant key) grants.
  if (checkoutMode === 'payment' && s.payment_status !== 'paid')
    return ignored(event, `checkout session not paid yet (${String(s.payment_status)})`);
  const metadata = metadataOf(s.metadata);
  const owner = hints(metadata, {
    userId: str(s.client_reference_id),
    customerId: idOf(s.customer),
    subscriptionId: idOf(s.subscription),
  });
  const amountTotal = num(s.amount_total);
  const currency = str(s.currency);
  return withProduct(
    {
      ...base,
      kind: 'checkout_completed' as const,
      sessionId,
      mode: checkoutMode,
      ...(amountTotal !== undefined ? { amountTotal } : {}),
      ...(currency ? { currency } : {}),
      owner,
    },
    str(metadata.productId),
  );
}

function fromInvoice(event: Stripe.Event, inv: Obj, base: Base) {
  const invoiceId = str(inv.id);
  if (!invoiceId) return ignored(event, 'invoice without an id');
  const parent = metadataOf(inv.parent);
  const details = metadataOf(parent.subscription_details);
  const subscriptionId = idOf(details.subscription) ?? idOf(inv.subscription);
  if (!subscriptionId) return ignored(event, 'invoice is not for a subscription');

  const lines = metadataOf(inv.lines);
  const lineItems = Array.isArray(lines.data) ? lines.data.filter(isObj) : [];
  // The subscription's metadata, snapshotted on the invoice (or on its subscription lines).
  let metadata = metadataOf(details.metadata);
  if (!str(metadata.productId)) {
    const line = lineItems.find((l) => str(metadataOf(l.metadata).productId));
    if (line) metadata = metadataOf(line.metadata);
  }
  // The invoice's own period_* is the billing window of usage; the paid-for subscription period
  // is on its lines.
  const ends = lineItems
    .map((l) => num(metadataOf(l.period).end))
    .filter((n): n is number => n !== undefined);
  const periodEnd = ends.length ? Math.max(...ends) : undefined;

  const owner = hints(metadata, { customerId: idOf(inv.customer), subscriptionId });
  return withProduct(
    {
      ...base,
      kind: 'invoice_paid' as const,
      invoiceId,
      subscriptionId,
      billingReason: str(inv.billing_reason) ?? null,
      amountPaid: num(inv.amount_paid) ?? 0,
      ...(str(inv.currency) ? { currency: str(inv.currency) } : {}),
      ...(periodEnd !== undefined ? { periodEnd } : {}),
      owner,
    },
    str(metadata.productId),
  );
}

function fromSubscription(event: Stripe.Event, sub: Obj, base: Base) {
  const subscriptionId = str(sub.id);
  if (!subscriptionId) return ignored(event, 'subscription without an id');
  const metadata = metadataOf(sub.metadata);
  const items = metadataOf(sub.items);
  const ends = (Array.isArray(items.data) ? items.data.filter(isObj) : [])
    .map((i) => num(i.current_period_end))
    .filter((n): n is number => n !== undefined);
  const legacyEnd = num(sub.current_period_end);
  const periodEnd = ends.length ? Math.max(...ends) : legacyEnd;
  const owner = hints(metadata, { customerId: idOf(sub.customer), subscriptionId });
  return withProduct(
    {
      ...base,
      kind: 'subscription_changed' as const,
      subscriptionId,
      status: str(sub.status) ?? 'unknown',
      deleted: event.type === 'customer.subscription.deleted',
      cancelAtPeriodEnd: sub.cancel_at_period_end === true,
      ...(periodEnd !== undefined ? { periodEnd } : {}),
      owner,
    },
    str(metadata.productId),
  );
}

function fromCharge(event: Stripe.Event, charge: Obj, base: Base) {
  const chargeId = str(charge.id);
  const amount = num(charge.amount);
  if (!chargeId || !amount) return ignored(event, 'charge without an id or amount');
  const metadata = metadataOf(charge.metadata);
  const list = metadataOf(charge.refunds);
  const complete = Array.isArray(list.data) && list.has_more === false;
  const refunds = complete
    ? (list.data as unknown[]).filter(isObj).flatMap((r): RefundLine[] => {
        const id = str(r.id);
        const refunded = num(r.amount);
        if (!id || refunded === undefined) return [];
        return [
          { id, amount: refunded, created: num(r.created) ?? 0, status: str(r.status) ?? null },
        ];
      })
    : undefined;
  const paymentIntentId = idOf(charge.payment_intent);
  const owner = hints(metadata, { customerId: idOf(charge.customer) });
  return withProduct(
    {
      ...base,
      kind: 'charge_refunded' as const,
      chargeId,
      ...(paymentIntentId ? { paymentIntentId } : {}),
      amount,
      amountRefunded: num(charge.amount_refunded) ?? 0,
      ...(refunds ? { refunds } : {}),
      owner,
    },
    str(metadata.productId),
  );
}
