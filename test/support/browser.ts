import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { waitFor } from './workers';

/** Where browser tests leave their screenshots (also on a failure: where the page was). */
export const RESULTS_DIR = path.resolve(__dirname, '..', '..', '.test-results');
/** Debian's Chromium, driven by playwright-core (installed by scripts/ensure-deps.sh). */
export const CHROMIUM = '/usr/bin/chromium';

export interface BrowserPage {
  browser: Browser;
  page: Page;
  /** Uncaught errors of the page's scripts, for a test to assert there were none. */
  pageErrors: string[];
  /** Screenshot to `.test-results/<name>.png`, then the browser closed; never throws. */
  close(options?: { fullPage?: boolean }): Promise<void>;
}

/** A headless Chromium page in Japanese, as a phone user's desktop simulator shows it. */
export async function openBrowserPage(
  screenshotName: string,
  viewport = { width: 1180, height: 900 },
): Promise<BrowserPage> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} is missing: run scripts/ensure-deps.sh as root or apt-get install chromium`,
    );
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
  const page = await browser.newPage({ viewport, locale: 'ja-JP' });
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  return {
    browser,
    page,
    pageErrors,
    async close(options = {}) {
      await page
        .screenshot({ path: path.join(RESULTS_DIR, `${screenshotName}.png`), ...options })
        .catch(() => undefined);
      await browser.close().catch(() => undefined);
    },
  };
}

/**
 * On the /dev simulator page: a new LINE-format user (the page's button), then its follow, done
 * once the bot's greeting shows. Returns the user's LINE ID.
 */
export async function followAsNewUser(page: Page, timeoutMs: number): Promise<string> {
  const shown = async () => (await page.getByTestId('current-user-id').textContent()) ?? '';
  // The user shown before (when there is one) is not the new one.
  const before = await shown();
  await page.getByTestId('new-user').click();
  const lineUserId = await waitFor(
    async () => {
      const text = await shown();
      return /^U[0-9a-f]{32}$/.test(text) && text !== before ? text : null;
    },
    'a LINE user ID on the page',
    timeoutMs,
  );
  await page.getByTestId('follow').click();
  await page
    .locator('[data-testid="bot-text"]', { hasText: '友だち追加ありがとうございます' })
    .waitFor({ timeout: timeoutMs });
  return lineUserId;
}
