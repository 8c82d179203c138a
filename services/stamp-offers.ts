import { noTicketText } from '../domain/stamp-texts';
import { errorMessage, type StampDeps } from './stamp-deps';

/** The ticket products with a checkout link each; a link that fails is left out (logged). */
export async function ticketLinks(
  deps: Pick<StampDeps, 'config' | 'checkout' | 'logger'>,
  userId: string,
): Promise<Array<{ name: string; url: string }>> {
  const { checkout } = deps;
  if (!checkout) return [];
  const products = Object.entries(deps.config.catalog.products).filter(
    ([, p]) => p.kind === 'tickets',
  );
  const links = await Promise.all(
    products.map(async ([id, p]) => {
      try {
        return { name: `${p.name}（${p.priceYen}円）`, url: await checkout.linkFor(userId, id) };
      } catch (err) {
        deps.logger.warn({ productId: id, err: errorMessage(err) }, 'checkout link failed');
        return null;
      }
    }),
  );
  return links.filter((l): l is { name: string; url: string } => l !== null);
}

/** The "no ticket" reply, with purchase links when checkout is available. */
export async function noTicketReply(
  deps: Pick<StampDeps, 'config' | 'checkout' | 'logger'>,
  userId: string,
): Promise<string> {
  return noTicketText(await ticketLinks(deps, userId));
}
