import path from 'node:path';
import { followAsNewUser, RESULTS_DIR } from '../support/browser';
import { useSimulatorPage } from '../support/simulator-page';
import { waitFor } from '../support/workers';

/**
 * A purchase from the product carousel in the /dev simulator, in a real headless Chromium
 * against the whole system in-process (stand-ins for LINE and the LLM, stripe-mock, Temporal,
 * PostgreSQL): 「購入」 shows the products as Flex cards, a tap on one card's buy button sends
 * a signed postback, the bot answers with that one product's Checkout link, and the simulated
 * payment of that pick brings the points.
 */

const SCREENSHOT = path.join(RESULTS_DIR, 'simulator-purchase.png');
const STEP_MS = 60_000;

describe('LINE simulator: buying from the product carousel', () => {
  const sim = useSimulatorPage('simulator-purchase');
  let lineUserId = '';

  const balance = async () => {
    const user = await sim.h.db.user.findUniqueOrThrow({ where: { lineUserId } });
    return (await sim.h.ledger.getBalance(user.id)).balance;
  };
  /** The Flex cards on the page (a carousel's bubbles, a payment card). */
  const cards = () => sim.page.getByTestId('flex-card');

  it('a new user follows the bot', async () => {
    await sim.openSimulator();
    lineUserId = await followAsNewUser(sim.page, STEP_MS);
  });

  it(
    '「購入」 shows the products as cards, each with a buy button',
    async () => {
      await sim.page.getByTestId('composer-input').fill('購入');
      await sim.page.getByTestId('send').click();
      const products = Object.values(sim.h.config.catalog.products);
      await waitFor(
        async () => (await cards().count()) === products.length,
        `${products.length} product cards`,
        STEP_MS,
      );
      for (const p of products)
        await cards().filter({ hasText: p.name }).first().waitFor({ timeout: STEP_MS });
      const buyButtons = sim.page.locator('[data-testid="flex-button"][data-action="postback"]');
      expect(await buyButtons.count()).toBe(products.length);
      expect(await buyButtons.first().isEnabled()).toBe(true);
      // Nothing to pay yet: a list of postbacks, not of payment links.
      expect(await sim.page.getByTestId('flex-link').count()).toBe(0);
    },
    STEP_MS * 2,
  );

  it(
    'a tap on one card sends its postback and shows one payment link, for that product',
    async () => {
      const before = await balance();
      const card = cards().filter({ hasText: '500ポイント' }).first();
      await card.getByTestId('flex-button').click();
      // LINE shows the postback's displayText as the user's message.
      await sim.page
        .locator('[data-testid="user-message"]', { hasText: '500ポイントを購入' })
        .waitFor({ timeout: STEP_MS });
      const link = sim.page.getByTestId('flex-link');
      await link.first().waitFor({ timeout: STEP_MS });
      expect(await link.count()).toBe(1);
      expect(await link.getAttribute('href')).toMatch(/^https:\/\//);
      expect(await link.textContent()).toBe('お支払いへ進む');
      // The payment card is for the product tapped, and nothing was paid yet.
      const paymentCard = cards().filter({ has: link });
      expect(await paymentCard.textContent()).toContain('500ポイント');
      expect(await balance()).toBe(before);
    },
    STEP_MS * 2,
  );

  it('refuses a postback without data, as LINE would never send one', async () => {
    const post = (body: unknown) =>
      fetch(`${sim.h.apiUrl}/dev/api/users/${lineUserId}/postback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await post({})).status).toBe(400);
    expect((await post({ data: 'x'.repeat(301) })).status).toBe(400);
    expect(
      (await post({ data: 'action=buy&product=points_500', displayText: 'x'.repeat(301) })).status,
    ).toBe(400);
  });

  it(
    'the simulated payment of that pick brings the points',
    async () => {
      const before = await balance();
      await sim.page.getByTestId('simulate-payment').click();
      await sim.page
        .locator('[data-testid="bot-text"]', {
          hasText: '「500ポイント」のご購入ありがとうございます',
        })
        .waitFor({ timeout: STEP_MS });
      expect(await waitFor(async () => (await balance()) === before + 500, '500 points')).toBe(
        true,
      );
      await sim.page.getByTestId('purchase-notice').first().waitFor({ timeout: STEP_MS });
      // Paid: the offer to pay again is gone.
      await waitFor(
        async () => (await sim.page.getByTestId('simulate-payment').count()) === 0,
        'the payment button to go',
        STEP_MS,
      );
      await sim.page.screenshot({ path: SCREENSHOT });
      expect(sim.pageErrors).toEqual([]);
    },
    STEP_MS * 2,
  );
});
