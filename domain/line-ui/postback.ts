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

/**
 * 「回答を受け取る」 (workflows/chat-turn-collect.ts): the tap that collects a slow turn's answer
 * on the tap's own reply token. The data names the turn by its event's webhookEventId (LINE's
 * are 26-character ULIDs); the inbox relay signals that turn, which accepts only its own user.
 */
export interface CollectPostback {
  action: 'collect';
  webhookEventId: string;
}

const COLLECT_DATA = /^action=collect&turn=([0-9A-Za-z]{1,64})$/;

/** The data of a turn's collect button; undefined for an ID the strict parser would refuse. */
export function collectPostbackData(webhookEventId: string): string | undefined {
  const data = `action=collect&turn=${webhookEventId}`;
  return COLLECT_DATA.test(data) && data.length <= MAX_POSTBACK_DATA ? data : undefined;
}

/** Exactly `action=collect&turn=<id>` (no other keys, no encoding) → the turn's event ID. */
export function parseCollectPostbackData(data: string): CollectPostback | undefined {
  const turn = data.length <= MAX_POSTBACK_DATA ? COLLECT_DATA.exec(data)?.[1] : undefined;
  return turn ? { action: 'collect', webhookEventId: turn } : undefined;
}
