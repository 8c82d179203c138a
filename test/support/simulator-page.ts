import type { Page } from 'playwright-core';
import { openBrowserPage, type BrowserPage } from './browser';
import { startSystemHarness, type SystemHarness } from './system-harness';

/** A browser test's system and page, there from its describe block's beforeAll on. */
export interface SimulatorPage {
  /** The whole system in-process (API, workers, stand-ins, Temporal, PostgreSQL, MinIO). */
  readonly h: SystemHarness;
  /** A headless Chromium page in Japanese. */
  readonly page: Page;
  /** Uncaught errors of the page's scripts so far. */
  readonly pageErrors: string[];
  /** Loads the /dev simulator and waits until it is ready. */
  openSimulator(): Promise<void>;
  /** Picks a JPEG in the simulator's photo input (not sent yet). */
  choosePhoto(jpeg: Buffer): Promise<void>;
}

/**
 * For a describe block of a browser test: starts the system harness (`label`) and opens a
 * browser page before all its tests, and after them closes the page (its screenshot
 * `.test-results/<screenshot>.png` is taken whatever happened: on a failure it shows where the
 * page was) and stops the harness. `harness` gives the harness's options, when it is started.
 */
export function useSimulatorPage(
  label: string,
  options: {
    screenshot?: string;
    harness?: () => Parameters<typeof startSystemHarness>[1];
  } = {},
): SimulatorPage {
  let h: SystemHarness | undefined;
  let ui: BrowserPage | undefined;

  beforeAll(async () => {
    h = await startSystemHarness(label, options.harness?.());
    ui = await openBrowserPage(options.screenshot ?? label);
  }, 120_000);

  afterAll(async () => {
    await ui?.close();
    await h?.stop();
  }, 60_000);

  function started<T>(value: T | undefined): T {
    if (value === undefined) throw new Error(`${label}: the harness or the page did not start`);
    return value;
  }

  return {
    get h() {
      return started(h);
    },
    get page() {
      return started(ui).page;
    },
    get pageErrors() {
      return started(ui).pageErrors;
    },
    async openSimulator() {
      const page = started(ui).page;
      await page.goto(`${started(h).apiUrl}/dev`);
      await page.waitForSelector('body[data-ready="true"]');
    },
    async choosePhoto(jpeg) {
      await started(ui)
        .page.getByTestId('photo-input')
        .setInputFiles({ name: 'photo.jpg', mimeType: 'image/jpeg', buffer: jpeg });
    },
  };
}
