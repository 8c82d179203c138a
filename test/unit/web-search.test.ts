import { readFileSync } from 'node:fs';
import { DEFAULT_CATALOG_FILE, loadCatalog, parseCatalog } from '../../config/catalog';
import { parseCommand } from '../../domain/commands';
import { searchNotInPlanMessage, searchOffers } from '../../domain/line-ui/search';
import { lineMessagesErrors } from '../support/line-openapi';

/** 「検索 …」 / `search …` (issue #14): the parse, the catalog's search tiers, the refusal. */

const catalog = loadCatalog();
const raw = () => JSON.parse(readFileSync(DEFAULT_CATALOG_FILE, 'utf8'));

describe('parseCommand: web search', () => {
  it.each([
    ['検索 東京の天気', '東京の天気'],
    ['検索　東京の天気', '東京の天気'],
    ['検索: 東京の天気', '東京の天気'],
    ['検索：東京の天気', '東京の天気'],
    ['search Temporal TypeScript SDK', 'Temporal TypeScript SDK'],
    ['SEARCH  Keep The Case', 'Keep The Case'],
    ['/search latest news', 'latest news'],
  ])('%s → a search for %j', (text, question) => {
    expect(parseCommand(text)).toEqual({ kind: 'search', question });
  });

  it('leaves texts that only start with the word to the chat', () => {
    for (const text of ['検索', '検索 ', '検索エンジンとは', 'search', 'searching for meaning'])
      expect(parseCommand(text)).toBeUndefined();
  });
});

describe('catalog: search tiers by plan', () => {
  it('ships web search in the plans that name a search-priced tier', () => {
    const withSearch = Object.entries(catalog.plans).filter(([, p]) => p.searchTier);
    expect(withSearch.length).toBeGreaterThan(0);
    for (const [, p] of withSearch)
      expect(catalog.modelTiers[p.searchTier!]?.dollarPerSearch).toBeGreaterThan(0);
    expect(catalog.plans[catalog.defaultPlan]?.searchTier).toBeUndefined();
  });

  it('rejects a search tier without a price per search, or unknown', () => {
    const noPrice = raw();
    noPrice.plans.basic.searchTier = 'mid';
    expect(() => parseCatalog(noPrice)).toThrow(
      'plans.basic.searchTier: "mid" is not a model tier with a dollarPerSearch price',
    );
    const unknown = raw();
    unknown.plans.basic.searchTier = 'nope';
    expect(() => parseCatalog(unknown)).toThrow('plans.basic.searchTier');
  });
});

describe('the refusal of a plan without search', () => {
  it('names the plan and offers only the subscriptions whose plan searches, as buy postbacks', () => {
    const offers = searchOffers(catalog);
    expect(offers.map((o) => o.productId)).toEqual(
      Object.entries(catalog.products)
        .filter(([, p]) => p.kind === 'subscription' && catalog.plans[p.plan]?.searchTier)
        .sort(([, a], [, b]) => a.priceYen - b.priceYen)
        .map(([id]) => id),
    );
    const message = searchNotInPlanMessage(catalog, catalog.plans.free!);
    expect(message.text).toContain(`（${catalog.plans.free!.name}）`);
    expect(message.text).toContain(catalog.messages.searchUpgradeOffer);
    const items = (message.quickReply?.items ?? []) as Array<{
      action: { type: string; data?: string };
    }>;
    const data = items.map((i) => (i.action.type === 'postback' ? i.action.data : i.action.type));
    expect(data).toEqual([
      ...offers.map((o) => `action=buy&product=${o.productId}`),
      'message', // 残高
    ]);
    expect(lineMessagesErrors([message])).toEqual([]);
  });

  it('says only what is missing when no subscription has search', () => {
    const c = parseCatalog(raw());
    for (const plan of Object.values(c.plans)) delete plan.searchTier;
    const message = searchNotInPlanMessage(c, c.plans.free!);
    expect(message.text).not.toContain(c.messages.searchUpgradeOffer);
    expect(message.text).toBe(c.messages.searchNotInPlan.replace('{plan}', c.plans.free!.name));
  });
});
