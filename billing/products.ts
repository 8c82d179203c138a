import type { Catalog, Product } from '../config/catalog';

/** Products are configuration (config/catalog.json); these are the three kinds. */
export type PointsProduct = Extract<Product, { kind: 'points' }>;
export type TicketsProduct = Extract<Product, { kind: 'tickets' }>;
export type SubscriptionProduct = Extract<Product, { kind: 'subscription' }>;
export type OneTimeProduct = PointsProduct | TicketsProduct;

/** A product by its ID; undefined for an unknown ID (never an inherited property). */
export function findProduct(
  catalog: Pick<Catalog, 'products'>,
  productId: string | undefined | null,
): Product | undefined {
  if (!productId || !Object.prototype.hasOwnProperty.call(catalog.products, productId)) {
    return undefined;
  }
  return catalog.products[productId];
}

/** Stripe Checkout mode: subscriptions recur monthly, everything else is paid once. */
export function checkoutMode(product: Product): 'payment' | 'subscription' {
  return product.kind === 'subscription' ? 'subscription' : 'payment';
}

/** What a grant of `product` gives back on a refund, in its own units (points or tickets). */
export function refundableUnits(product: Product): { unit: 'points' | 'tickets'; units: number } {
  switch (product.kind) {
    case 'points':
      return { unit: 'points', units: product.points };
    case 'tickets':
      return { unit: 'tickets', units: product.tickets };
    case 'subscription':
      return { unit: 'points', units: product.monthlyPoints };
  }
}
