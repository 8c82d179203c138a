import type Stripe from 'stripe';
import type { Product } from '../config/catalog';
import { checkoutMode } from './products';

export interface CheckoutRequest {
  userId: string;
  lineUserId: string;
  productId: string;
  product: Product;
  /** The user's Stripe customer (created on first purchase, then reused). */
  customerId: string;
  successUrl: string;
  cancelUrl: string;
}

/** What we put on every Stripe object of a purchase, so any later event leads back to the user. */
export function purchaseMetadata(r: Pick<CheckoutRequest, 'userId' | 'productId' | 'lineUserId'>) {
  return { userId: r.userId, productId: r.productId, lineUserId: r.lineUserId };
}

/**
 * The Checkout Session for one product. Prices are inline (`price_data`, JPY, the catalog's
 * price) so no Stripe dashboard setup is needed. The metadata goes on the session AND on the
 * object that outlives it — the PaymentIntent (copied to its charge, which a refund event
 * carries) or the subscription (snapshotted onto each of its invoices) — so that an
 * `invoice.paid` arriving before `checkout.session.completed` still names its user.
 */
export function checkoutSessionParams(r: CheckoutRequest): Stripe.Checkout.SessionCreateParams {
  const metadata = purchaseMetadata(r);
  const mode = checkoutMode(r.product);
  const base = {
    customer: r.customerId,
    client_reference_id: r.userId,
    metadata,
    locale: 'ja' as const,
    success_url: r.successUrl,
    cancel_url: r.cancelUrl,
  };
  const productData = { name: r.product.name, metadata: { productId: r.productId } };
  if (mode === 'subscription') {
    return {
      ...base,
      mode,
      line_items: [
        {
          quantity: 1,
          price_data: {
            currency: 'jpy',
            unit_amount: r.product.priceYen,
            recurring: { interval: 'month' },
            product_data: productData,
          },
        },
      ],
      subscription_data: { metadata },
    };
  }
  return {
    ...base,
    mode,
    line_items: [
      {
        quantity: 1,
        price_data: { currency: 'jpy', unit_amount: r.product.priceYen, product_data: productData },
      },
    ],
    payment_intent_data: { metadata },
  };
}
