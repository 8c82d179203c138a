import type { Product } from '../config/catalog';

/**
 * Grants equal payments: a Stripe payment grants its product only when the amount and currency
 * paid are the product's catalog price (config/catalog.json `priceYen`, in yen). Anything else
 * that can complete a session or pay an invoice in the same Stripe account (a Payment Link with
 * another price, a promotion code, a session made by hand, a tampered test event) grants
 * nothing: there is no promotion rule, so a discount must be granted by hand (admin API).
 */

/** The catalog's currency: every `priceYen` is in yen (Stripe's zero-decimal `jpy`). */
export const CATALOG_CURRENCY = 'jpy';

export interface PaidAmount {
  /** In the currency's smallest unit (yen for jpy); undefined when Stripe did not say. */
  amount: number | undefined;
  currency: string | undefined;
}

/** Why `paid` does not pay for `product`, or null when it does. */
export function paymentMismatch(
  productId: string,
  product: Pick<Product, 'priceYen'>,
  paid: PaidAmount,
): string | null {
  const currency = paid.currency?.toLowerCase();
  if (currency !== CATALOG_CURRENCY)
    return `paid in ${currency ?? '(no currency)'}, but ${productId} is priced in ${CATALOG_CURRENCY}`;
  if (paid.amount !== product.priceYen)
    return `paid ${paid.amount ?? '(no amount)'} ${CATALOG_CURRENCY}, but ${productId} costs ${product.priceYen}`;
  return null;
}
