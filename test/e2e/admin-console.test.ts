import type { Page } from 'playwright-core';
import { openBrowserPage, type BrowserPage } from '../support/browser';
import { startSystemHarness, type SystemHarness } from '../support/system-harness';
import { waitFor } from '../support/workers';

/**
 * The operator console (/admin) in a real headless Chromium against the whole system in-process:
 * a user made through the /dev simulator (a LINE display name at the stand-in, a signed follow
 * and a chat message through the real webhook) is searched by display name, and the timeline is
 * opened: it shows the chat turn and links it to its workflow, which the Temporal server knows.
 */

const STEP_MS = 60_000;

describe('operator console in a headless browser', () => {
  let h: SystemHarness;
  let ui: BrowserPage | undefined;
  let page: Page;

  beforeAll(async () => {
    h = await startSystemHarness('admin-console');
    ui = await openBrowserPage('admin-console', { width: 1280, height: 1000 });
    page = ui.page;
  }, 120_000);

  afterAll(async () => {
    await ui?.close({ fullPage: true });
    await h?.stop();
  }, 60_000);

  async function dev(pathname: string, body?: unknown) {
    const res = await fetch(`${h.apiUrl}${pathname}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body ?? {}),
    });
    expect(res.status).toBeLessThan(300);
    return (await res.json()) as Record<string, unknown>;
  }

  it(
    'searches a user by display name and opens the timeline with a link to the chat turn',
    async () => {
      // A name unique to this run, so the search finds exactly this user.
      const name = `コンソール${Date.now().toString(36)}`;
      const { lineUserId } = (await dev('/dev/api/users', { displayName: name })) as {
        lineUserId: string;
      };
      await dev(`/dev/api/users/${lineUserId}/follow`);
      await waitFor(
        async () => (await h.db.user.findUnique({ where: { lineUserId } }))?.displayName === name,
        'the follow to store the LINE display name',
        STEP_MS,
      );
      // A question (a greeting gets a canned answer, no turn); the LLM stand-in answers
      // "[model] 了解しました: <the question>".
      await dev(`/dev/api/users/${lineUserId}/text`, { text: '富士山の高さを教えて' });
      await h.line.waitFor(
        (r) =>
          r.to === lineUserId &&
          (r.messages ?? []).some((m) =>
            String(m.text ?? '').includes('了解しました: 富士山の高さを教えて'),
          ),
        STEP_MS,
      );

      await page.goto(`${h.apiUrl}/admin`);
      await page.waitForSelector('body[data-ready="true"]');
      await page.locator('#token').fill(h.config.env.ADMIN_TOKEN);
      await page.locator('#login-form button[type="submit"]').click();
      await page.getByTestId('search-input').fill(name.slice(2).toLowerCase());
      await page.getByTestId('search-submit').click();
      const row = page.getByTestId('search-result');
      await row.first().waitFor({ timeout: STEP_MS });
      expect(await row.count()).toBe(1);
      expect(await row.first().textContent()).toContain(lineUserId);

      await row.first().getByTestId('open-timeline').click();
      await page
        .locator('[data-testid="timeline-entry"][data-kind="turn"]')
        .first()
        .waitFor({ timeout: STEP_MS });
      expect(await page.getByTestId('timeline-user').textContent()).toContain(name);
      const turnLink = page.locator(
        '[data-testid="timeline-entry"][data-kind="turn"] [data-testid="timeline-link"]',
      );
      const workflowId = (await turnLink.first().textContent()) ?? '';
      expect(workflowId).toMatch(/^chat-/);
      const href = (await turnLink.first().getAttribute('href')) ?? '';
      expect(href).toBe(
        `${h.config.env.TEMPORAL_UI_URL.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(
          h.config.env.TEMPORAL_NAMESPACE,
        )}/workflows/${encodeURIComponent(workflowId)}`,
      );
      // Every link on the timeline names a workflow the server knows.
      const ids = await page
        .locator('[data-testid="timeline-link"]')
        .evaluateAll((links) =>
          links.map((a) => (a as unknown as { textContent: string }).textContent),
        );
      expect(ids.length).toBeGreaterThanOrEqual(1);
      for (const id of ids) {
        const described = await h.temporal.workflow.getHandle(id).describe();
        expect(described.workflowId).toBe(id);
      }
      // The charts arrived as images (server-drawn SVG through blob URLs).
      await waitFor(
        async () =>
          (await page
            .locator('#chart-revenue-by-day')
            .evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)) > 0,
        'the revenue chart to load',
        STEP_MS,
      );
      expect(ui?.pageErrors).toEqual([]);
    },
    4 * STEP_MS,
  );
});
