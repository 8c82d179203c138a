/**
 * Postback data the bot's own buttons carry (Flex carousel, rich menu). A postback reaches the
 * webhook as data only, never as chat text, so tapping "buy" creates a Checkout session for
 * that one product and nothing is created until the tap.
 */
export type PostbackCommand = { action: 'buy'; productId: string };

/** LINE allows 300 characters of postback data. */
export const MAX_POSTBACK_DATA = 300;

export function buyPostbackData(productId: string): string {
  return new URLSearchParams({ action: 'buy', product: productId }).toString();
}

/** `action=buy&product=<id>` → the command; anything else (or a malformed ID) → undefined. */
export function parsePostbackData(data: string): PostbackCommand | undefined {
  const params = new URLSearchParams(data);
  const productId = params.get('product');
  if (params.get('action') === 'buy' && productId && /^[a-z0-9_]{1,64}$/.test(productId))
    return { action: 'buy', productId };
  return undefined;
}
