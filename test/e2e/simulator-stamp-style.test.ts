import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import {
  followAsNewUser,
  openBrowserPage,
  RESULTS_DIR,
  type BrowserPage,
} from '../support/browser';
import { startSystemHarness, type SystemHarness } from '../support/system-harness';
import { waitFor } from '../support/workers';

/**
 * The style choice in the /dev simulator, in a real headless Chromium against the whole system
 * in-process: a photo sent alone is answered with the four looks as quick-reply buttons, a tap
 * shows the preview sheet of that look (made from the photo, served by MinIO) before any ticket
 * is spent, and the text typed next makes the set in that look.
 */

const SCREENSHOT = path.join(RESULTS_DIR, 'simulator-stamp-style.png');
const STEP_MS = 60_000;
const STAMP_MS = 180_000;

describe('LINE simulator: choosing a sticker style', () => {
  let h: SystemHarness;
  let ui: BrowserPage | undefined;
  let page: Page;
  let lineUserId = '';

  beforeAll(async () => {
    h = await startSystemHarness('simulator-style');
    ui = await openBrowserPage('simulator-stamp-style');
    page = ui.page;
  }, 120_000);

  afterAll(async () => {
    await ui?.close();
    await h?.stop();
  }, 60_000);

  const user = () => h.db.user.findUniqueOrThrow({ where: { lineUserId } });
  const quickReplyLabels = async () =>
    (await page.getByTestId('quick-reply-button').allTextContents()).map((t) => t.trim());

  it('a user with a ticket follows the bot', async () => {
    await page.goto(`${h.apiUrl}/dev`);
    await page.waitForSelector('body[data-ready="true"]');
    lineUserId = await followAsNewUser(page, STEP_MS);
    await h.db.lineStampTicket.create({
      data: { userId: (await user()).id, sourceRef: `test:${randomUUID()}` },
    });
  });

  it(
    'sends a photo alone and is offered the four looks as quick-reply buttons',
    async () => {
      const photo = await sharp({
        create: { width: 640, height: 480, channels: 3, background: { r: 250, g: 180, b: 90 } },
      })
        .composite([
          {
            input: Buffer.from(
              '<svg xmlns="http://www.w3.org/2000/svg" width="640" height="480">' +
                '<circle cx="220" cy="240" r="150" fill="#3a7bd5"/></svg>',
            ),
          },
        ])
        .jpeg({ quality: 85 })
        .toBuffer();
      await page.getByTestId('photo-input').setInputFiles({
        name: 'photo.jpg',
        mimeType: 'image/jpeg',
        buffer: photo,
      });
      await page.getByTestId('send-photo').click();
      await page.getByTestId('quick-reply-button').first().waitFor({ timeout: STEP_MS });
      expect(await quickReplyLabels()).toEqual([
        'カード',
        'まるぬき',
        'ふきだし',
        'でか文字',
        'この画像について質問',
        'キャンセル',
      ]);
    },
    STEP_MS * 2,
  );

  it(
    'taps a look and sees its preview sheet before any ticket is spent',
    async () => {
      await page.getByTestId('quick-reply-button').filter({ hasText: 'でか文字' }).click();
      const preview = page.locator('[data-testid="bot-image"][src*="style-bold.jpg"]');
      await preview.waitFor({ timeout: STAMP_MS });
      // The image really loads from MinIO (presigned with the public endpoint) and is a sheet.
      await waitFor(
        () =>
          preview.evaluate((img) => {
            const i = img as unknown as { complete: boolean; naturalWidth: number };
            return i.complete && i.naturalWidth > 0;
          }),
        'the preview sheet to load',
        STEP_MS,
      );
      const size = (await preview.evaluate((img) => {
        const i = img as unknown as { naturalWidth: number; naturalHeight: number };
        return [i.naturalWidth, i.naturalHeight];
      })) as [number, number];
      expect(size[0]).toBeGreaterThan(3 * size[1]);
      await page
        .locator('[data-testid="bot-text"]', { hasText: '「でか文字」のスタイルの見本です' })
        .waitFor({ timeout: STEP_MS });
      // The buttons are offered again, the chosen one marked.
      await waitFor(
        async () => (await quickReplyLabels()).includes('✓でか文字'),
        'the chosen look marked',
        STEP_MS,
      );
      const u = await user();
      expect(await h.db.lineStampTicketConsumption.count({ where: { userId: u.id } })).toBe(0);
      const waiting = await h.db.lineStampGenerateQueue.findFirstOrThrow({
        where: { userId: u.id },
      });
      expect(waiting.status).toBe('awaiting_messages');
      expect(waiting.style).toMatchObject({ look: 'bold' });
    },
    STAMP_MS + STEP_MS,
  );

  it(
    'types the sticker text and gets the set in the chosen look',
    async () => {
      await page.getByTestId('composer-input').fill('やったね');
      await page.getByTestId('send').click();
      const u = await user();
      const done = await waitFor(
        () =>
          h.db.lineStampGenerateQueue.findFirst({ where: { userId: u.id, status: 'completed' } }),
        'the set to be made',
        STAMP_MS,
      );
      expect(done.style).toMatchObject({ look: 'bold' });
      await page
        .locator('[data-testid="bot-text"]', { hasText: 'スタンプが1個できました' })
        .waitFor({ timeout: STEP_MS });
      expect(await page.getByTestId('quick-reply-button').count()).toBe(0);
      await page.getByTestId('chat').evaluate((c) => (c.scrollTop = c.scrollHeight));
      await page.screenshot({ path: SCREENSHOT });
      expect(ui?.pageErrors).toEqual([]);
    },
    STAMP_MS + STEP_MS,
  );
});
