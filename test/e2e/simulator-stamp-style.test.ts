import path from 'node:path';
import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { followAsNewUser, RESULTS_DIR } from '../support/browser';
import { useSimulatorPage } from '../support/simulator-page';
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
  const sim = useSimulatorPage('simulator-style', { screenshot: 'simulator-stamp-style' });
  let lineUserId = '';

  const user = () => sim.h.db.user.findUniqueOrThrow({ where: { lineUserId } });
  const quickReplyLabels = async () =>
    (await sim.page.getByTestId('quick-reply-button').allTextContents()).map((t) => t.trim());

  it('a user with a ticket follows the bot', async () => {
    await sim.openSimulator();
    lineUserId = await followAsNewUser(sim.page, STEP_MS);
    await sim.h.db.lineStampTicket.create({
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
      await sim.choosePhoto(photo);
      await sim.page.getByTestId('send-photo').click();
      await sim.page.getByTestId('quick-reply-button').first().waitFor({ timeout: STEP_MS });
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
      await sim.page.getByTestId('quick-reply-button').filter({ hasText: 'でか文字' }).click();
      const preview = sim.page.locator('[data-testid="bot-image"][src*="style-bold.jpg"]');
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
      await sim.page
        .locator('[data-testid="bot-text"]', { hasText: '「でか文字」のスタイルの見本です' })
        .waitFor({ timeout: STEP_MS });
      // The buttons are offered again, the chosen one marked.
      await waitFor(
        async () => (await quickReplyLabels()).includes('✓でか文字'),
        'the chosen look marked',
        STEP_MS,
      );
      const u = await user();
      expect(await sim.h.db.lineStampTicketConsumption.count({ where: { userId: u.id } })).toBe(0);
      const waiting = await sim.h.db.lineStampGenerateQueue.findFirstOrThrow({
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
      await sim.page.getByTestId('composer-input').fill('やったね');
      await sim.page.getByTestId('send').click();
      const u = await user();
      const done = await waitFor(
        () =>
          sim.h.db.lineStampGenerateQueue.findFirst({
            where: { userId: u.id, status: 'completed' },
          }),
        'the set to be made',
        STAMP_MS,
      );
      expect(done.style).toMatchObject({ look: 'bold' });
      await sim.page
        .locator('[data-testid="bot-text"]', { hasText: 'スタンプが1個できました' })
        .waitFor({ timeout: STEP_MS });
      expect(await sim.page.getByTestId('quick-reply-button').count()).toBe(0);
      await sim.page.getByTestId('chat').evaluate((c) => (c.scrollTop = c.scrollHeight));
      await sim.page.screenshot({ path: SCREENSHOT });
      expect(sim.pageErrors).toEqual([]);
    },
    STAMP_MS + STEP_MS,
  );
});
