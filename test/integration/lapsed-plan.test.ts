import type OpenAI from 'openai';
import { createChatActivities, type ChatLedger } from '../../activities/chat';
import type { Db } from '../../lib/db';
import { createLogger } from '../../lib/logger';
import { createMetrics } from '../../lib/metrics';
import { makeLineUserId } from '../../stand-ins';
import { config, newDb } from './ledger-fixtures';

/**
 * Issue #13: a lapsed paid plan (plan_period_end passed, not renewed) falls back to the free
 * plan's model tier as well as its limits.
 */
describe('lapsed plan', () => {
  let db: Db;
  beforeAll(() => {
    db = newDb(2);
  });
  afterAll(async () => {
    await db.$disconnect();
  });

  const chat = () =>
    createChatActivities({
      config,
      db,
      // Not reached: preparing a turn reads the user and the archive only.
      ledger: {} as ChatLedger,
      llm: {} as Record<string, OpenAI>,
      clock: { now: () => new Date() },
      logger: createLogger('silent'),
      metrics: createMetrics(),
    });
  const { plans, defaultPlan } = config.catalog;

  it.each([
    ['lapsed', -1, plans[defaultPlan]!.modelTier],
    ['paid until tomorrow', 1, plans.premium!.modelTier],
  ])('a premium user whose period is %s gets that tier', async (_label, days, tier) => {
    const lineUserId = makeLineUserId();
    await db.user.create({
      data: {
        lineUserId,
        planId: 'premium',
        planPeriodEnd: new Date(Date.now() + days * 24 * 3600 * 1000),
      },
    });
    const turn = await chat().prepareChatTurn({
      lineUserId,
      text: '量子コンピュータの仕組みを説明して',
    });
    expect(turn).toMatchObject({ kind: 'llm', tierId: tier });
  });
});
