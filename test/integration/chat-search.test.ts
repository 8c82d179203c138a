import { priceUsage } from '../../domain/pricing';
import type { Ledger } from '../../ledger';
import type { ChatTurnResult } from '../../workflows/chat-turn';
import { chatTurnId } from '../../workflows/support/ids';
import { startChatHarness, type ChatHarness } from '../support/chat-harness';
import { lineMessagesErrors } from '../support/line-openapi';
import { textEvent } from '../support/line-webhook';
import { createTestUser, testLedger } from '../support/users';
import { waitFor } from '../support/workers';

/**
 * Web search on request (issue #14): 「検索 …」 / `search …` is a chat turn on the plan's search
 * tier (config/catalog.json plans.*.searchTier) through the usual reserve, model, settle and
 * delivery, charged with the `in`, `out` and `search` usage records the provider's answer
 * implies (a url_citation annotation = one search). A plan without search is refused with the
 * plans that have it, free. The real API, session, turn workflow, worker, Temporal and
 * PostgreSQL; LINE and the LLM are the stand-ins.
 */
describe('web search on request', () => {
  let h: ChatHarness;
  let ledger: Ledger;

  beforeAll(async () => {
    h = await startChatHarness('chat-search');
    ledger = testLedger(h.db, h.config);
  });
  afterAll(async () => {
    await h?.stop();
  });
  afterEach(() => {
    for (const record of h.line.received()) {
      if (record.messages) expect(lineMessagesErrors(record.messages)).toEqual([]);
    }
  });

  const catalog = () => h.config.catalog;
  const searchTier = () => catalog().modelTiers[catalog().plans.premium!.searchTier!]!;

  async function say(lineUserId: string, text: string) {
    const event = textEvent(lineUserId, text, {
      replyToken: h.line.issueReplyToken({ userId: lineUserId }),
    });
    expect((await h.send([event])).status).toBe(200);
    return event;
  }
  const turnResult = (webhookEventId: string): Promise<ChatTurnResult> =>
    h.temporal.workflow.getHandle(chatTurnId(webhookEventId)).result();
  const lastUserMessage = (r: { messages?: Array<{ role: string; content: unknown }> }) =>
    String(r.messages?.filter((m) => m.role === 'user').at(-1)?.content);
  const requestsAsking = (text: string) =>
    h.llm.requests().filter((r) => lastUserMessage(r) === text);
  type Sent = {
    type: string;
    text?: string;
    quickReply?: { items: Array<{ action: { type: string; data?: string; text?: string } }> };
  };
  const messagesFor = (lineUserId: string, n: number) =>
    waitFor(
      async () =>
        h.line.messagesFor(lineUserId).length >= n && (h.line.messagesFor(lineUserId) as Sent[]),
      `${n} messages`,
      60_000,
    );

  it('asks the search tier the question and charges in, out and search as priced', async () => {
    const user = await createTestUser(h.db, ledger, { points: 100, planId: 'premium' });
    const event = await say(user.lineUserId, '検索　東京の今日の天気');
    const [answer] = await messagesFor(user.lineUserId, 1);
    const result = await turnResult(event.webhookEventId);
    expect(result).toMatchObject({ outcome: 'answered' });
    expect(result.summary).toContain('(with 1 search)');

    // The question without its prefix, to the search model, as OpenAI's search models take it.
    const [request, ...more] = requestsAsking('東京の今日の天気');
    expect(more).toEqual([]);
    expect(request?.model).toBe(searchTier().model);
    expect((request?.body as Record<string, unknown>).web_search_options).toEqual({});
    // The stand-in answers as the provider does: a cited link and its url_citation.
    expect(request?.reply?.searches).toBe(1);
    expect(answer?.text).toContain(request!.reply!.content);
    expect(answer?.text).toMatch(/https:\/\/example\.com\/search\?q=/);

    const usage = request!.reply!.usage;
    const priced = priceUsage({
      tier: searchTier(),
      rates: catalog().rates,
      inputTokens: usage.prompt_tokens,
      outputTokens: usage.completion_tokens,
      searchCount: 1,
    });
    const turnId = chatTurnId(event.webhookEventId);
    const records = await h.db.usageRecord.findMany({ where: { turnId } });
    expect(records.map((r) => r.ioType).sort()).toEqual(['in', 'out', 'search']);
    const search = records.find((r) => r.ioType === 'search')!;
    expect(search.searchCount).toBe(1);
    expect(search.model).toBe(searchTier().model);
    expect(search.dollarPerSearch?.toString()).toBe(String(searchTier().dollarPerSearch));
    expect(search.points).toBe(priced.records.find((r) => r.ioType === 'search')!.points);
    expect(records.reduce((n, r) => n + r.points, 0)).toBe(priced.points);
    expect(result.pointsCharged).toBe(priced.points);
    expect((await ledger.getBalance(user.id)).balance).toBe(100 - priced.points);
    const reservation = await h.db.pointReservation.findFirstOrThrow({ where: { turnId } });
    expect(reservation.status).toBe('settled');
    // The hold covered the search as well as the input.
    expect(reservation.amount).toBeGreaterThanOrEqual(
      priced.records.find((r) => r.ioType === 'search')!.points,
    );
    // A turn of the day, archived as the user sent it.
    const premium = catalog().plans.premium!.dailyChatLimit;
    expect((await ledger.getUsage(user.id)).remainingCount).toBe(premium - 1);
    const archive = await h.db.chatArchive.findMany({ where: { turnId } });
    expect(archive.find((a) => a.role === 'user')?.content).toBe('検索　東京の今日の天気');
    expect(await ledger.replayCheck(user.id)).toEqual([]);
  });

  it('`search …` is the same; a text that only starts with 検索 stays chat on the plan tier', async () => {
    const user = await createTestUser(h.db, ledger, { points: 100, planId: 'premium' });
    await say(user.lineUserId, 'search Temporal TypeScript SDK');
    await messagesFor(user.lineUserId, 1);
    expect(requestsAsking('Temporal TypeScript SDK')[0]?.model).toBe(searchTier().model);

    await say(user.lineUserId, '検索エンジンとは何ですか');
    await messagesFor(user.lineUserId, 2);
    const [plain] = requestsAsking('検索エンジンとは何ですか');
    expect(plain?.model).toBe(catalog().modelTiers[catalog().plans.premium!.modelTier]!.model);
    expect(plain?.reply?.searches).toBe(0);
  });

  it('a plan without search: refused with the plans that have it, nothing charged', async () => {
    const user = await createTestUser(h.db, ledger, { points: 100 });
    const event = await say(user.lineUserId, '検索 東京の天気');
    const [refusal] = await messagesFor(user.lineUserId, 1);
    const result = await turnResult(event.webhookEventId);
    expect(result).toMatchObject({ outcome: 'rejected', errorCode: 'PLAN_RESTRICTION' });
    expect(result.pointsCharged).toBeUndefined();

    const plan = catalog().plans.free!;
    expect(refusal?.text).toContain(
      catalog().messages.searchNotInPlan.replaceAll('{plan}', plan.name),
    );
    expect(refusal?.text).toContain(catalog().messages.searchUpgradeOffer);
    // The subscriptions whose plan has a search tier, as the carousel's buy postbacks.
    const withSearch = Object.entries(catalog().products).flatMap(([id, p]) =>
      p.kind === 'subscription' && catalog().plans[p.plan]?.searchTier
        ? [`action=buy&product=${id}`]
        : [],
    );
    expect(withSearch.length).toBeGreaterThan(0);
    const postbacks = refusal!.quickReply!.items.filter((i) => i.action.type === 'postback');
    expect(postbacks.map((i) => i.action.data)).toEqual(withSearch);
    expect(postbacks.map((i) => i.action.data)).not.toContain('action=buy&product=sub_basic');

    // No model call, no hold, no daily slot, no charge.
    expect(requestsAsking('東京の天気')).toEqual([]);
    const turnId = chatTurnId(event.webhookEventId);
    expect(await h.db.pointReservation.count({ where: { turnId } })).toBe(0);
    expect(await h.db.usageRecord.count({ where: { turnId } })).toBe(0);
    expect((await ledger.getBalance(user.id)).balance).toBe(100);
    expect((await ledger.getUsage(user.id)).remainingCount).toBe(plan.dailyChatLimit);
  });

  it('too few points for the search itself: refused before the model is asked', async () => {
    const searchOnly = priceUsage({
      tier: searchTier(),
      rates: catalog().rates,
      inputTokens: 0,
      outputTokens: 0,
      searchCount: 1,
    }).points;
    const user = await createTestUser(h.db, ledger, { points: searchOnly, planId: 'premium' });
    const event = await say(user.lineUserId, '検索 大阪の天気');
    const [refusal] = await messagesFor(user.lineUserId, 1);
    expect(await turnResult(event.webhookEventId)).toMatchObject({
      outcome: 'rejected',
      errorCode: 'INSUFFICIENT_POINTS',
    });
    expect(refusal?.text).toContain(catalog().messages.INSUFFICIENT_POINTS);
    expect(requestsAsking('大阪の天気')).toEqual([]);
    expect((await ledger.getBalance(user.id)).balance).toBe(searchOnly);
  });
});
