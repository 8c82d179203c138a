import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import {
  followAsNewUser,
  openBrowserPage,
  RESULTS_DIR,
  type BrowserPage,
} from '../support/browser';
import { startSystemHarness, type SystemHarness } from '../support/system-harness';

/**
 * The bot's buttons in the /dev simulator (issue #14), in a real headless Chromium against the
 * whole system in-process: a LINE sticker from the composer gets the free reply; a photo's
 * quick replies offer 「この画像について質問」 and the question
 * typed after the tap is answered about the image; a slow answer's 「回答を受け取る」 postback
 * button is tapped and the answer comes on that tap's own reply token, not as a push.
 */

const SCREENSHOT = path.join(RESULTS_DIR, 'simulator-buttons.png');
const STEP_MS = 60_000;
/**
 * As test/integration/chat-collect.test.ts: the notice after 12 s (not the catalog's 35, longer
 * than the model client waits for one call), the model 26 s slow, the push after 20 s untapped.
 */
const NOTICE_AFTER_SECONDS = 12;
const COLLECT_WAIT_SECONDS = 20;
const SLOW = '[[delay:26000]]';

describe('LINE simulator: a LINE sticker, the image question and the 回答を受け取る tap', () => {
  let h: SystemHarness;
  let ui: BrowserPage | undefined;
  let page: Page;
  let lineUserId = '';
  let dir = '';

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'catalog-'));
    const catalog = JSON.parse(
      fs.readFileSync(path.join(__dirname, '../../config/catalog.json'), 'utf8'),
    ) as { chat: Record<string, unknown> };
    catalog.chat.answerNoticeAfterSeconds = NOTICE_AFTER_SECONDS;
    catalog.chat.collectWaitSeconds = COLLECT_WAIT_SECONDS;
    const file = path.join(dir, 'catalog.json');
    fs.writeFileSync(file, JSON.stringify(catalog));
    h = await startSystemHarness('simulator-buttons', { env: { CATALOG_FILE: file } });
    ui = await openBrowserPage('simulator-buttons');
    page = ui.page;
  }, 120_000);

  afterAll(async () => {
    await ui?.close();
    await h?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const quickReply = (label: string) =>
    page.locator('[data-testid="quick-reply-button"]', { hasText: label });
  /** What the bot sent the user, loading indicators left out. */
  const toUser = () => h.line.received({ userId: lineUserId }).filter((r) => r.kind !== 'loading');

  it('a user follows the bot', async () => {
    await page.goto(`${h.apiUrl}/dev`);
    await page.waitForSelector('body[data-ready="true"]');
    lineUserId = await followAsNewUser(page, STEP_MS);
  });

  it('sends a LINE sticker from the 😊 row: the bot’s friendly reply, free', async () => {
    await page.getByTestId('sticker-open').click();
    await page.locator('[data-testid="sticker-option"][data-sticker="446/1989"]').click();
    await page.getByTestId('user-sticker').waitFor({ timeout: STEP_MS });
    expect(await page.getByTestId('user-sticker').textContent()).toBe('👍');
    await page
      .locator('[data-testid="bot-text"]', { hasText: h.config.catalog.messages.stickerReply })
      .waitFor({ timeout: STEP_MS });
    const user = await h.db.user.findUniqueOrThrow({ where: { lineUserId } });
    expect(await h.db.usageRecord.count({ where: { userId: user.id } })).toBe(0);
  });

  it(
    'a photo offers 「この画像について質問」; after the tap, the typed question is answered about it',
    async () => {
      // A plan whose tier sees images (the free plan is offered the upgrade instead).
      await h.db.user.update({ where: { lineUserId }, data: { planId: 'basic' } });
      const photo = await sharp({
        create: { width: 640, height: 480, channels: 3, background: { r: 90, g: 160, b: 230 } },
      })
        .jpeg({ quality: 85 })
        .toBuffer();
      await page.getByTestId('photo-input').setInputFiles({
        name: 'photo.jpg',
        mimeType: 'image/jpeg',
        buffer: photo,
      });
      await page.getByTestId('send-photo').click();
      await quickReply('この画像について質問').waitFor({ timeout: STEP_MS });
      await quickReply('この画像について質問').click();
      await page
        .locator('[data-testid="user-message"]', { hasText: 'この画像について質問' })
        .waitFor({ timeout: STEP_MS });
      await page
        .locator('[data-testid="bot-text"]', { hasText: 'この画像について知りたいこと' })
        .waitFor({ timeout: STEP_MS });
      const question = 'これは何の色？';
      await page.getByTestId('composer-input').fill(question);
      await page.getByTestId('send').click();
      await page
        .locator('[data-testid="bot-text"]', { hasText: `了解しました: ${question}` })
        .waitFor({ timeout: STEP_MS });
      // The model saw the photo: an image part beside the question.
      const asked = h.llm
        .requests()
        .filter((r) => r.path.endsWith('/chat/completions') && (r.images?.length ?? 0) > 0);
      expect(asked).toHaveLength(1);
      expect(asked[0]!.images![0]).toMatchObject({ format: 'jpeg' });
    },
    3 * STEP_MS,
  );

  it(
    'a slow answer: the notice’s 「回答を受け取る」 is tapped, the answer comes on the tap’s reply token',
    async () => {
      const label = h.config.catalog.chat.collectButtonLabel;
      const from = toUser().at(-1)?.seq ?? 0;
      // The LLM stand-in takes longer than the notice waits ([[delay:MS]] affects this request).
      const question = 'ゆっくり考えて';
      await page.getByTestId('composer-input').fill(`${question} ${SLOW}`);
      await page.getByTestId('send').click();
      await quickReply(label).waitFor({ timeout: STEP_MS });
      const notice = toUser().find((r) => r.seq > from && r.kind === 'reply');
      expect(notice?.messages?.[0]?.text).toBe(h.config.catalog.chat.answerNotice);
      await quickReply(label).click();
      // The tap shows as the user's words (displayText), and the answer follows.
      await page
        .locator('[data-testid="user-message"]', { hasText: label })
        .waitFor({ timeout: STEP_MS });
      await page
        .locator('[data-testid="bot-text"]', { hasText: `了解しました: ${question}` })
        .waitFor({ timeout: STEP_MS });
      const after = toUser().filter((r) => r.seq > from);
      // Two replies, each on its own token (the message's, then the tap's); nothing pushed.
      expect(after.map((r) => r.kind)).toEqual(['reply', 'reply']);
      expect(after[1]!.replyToken).not.toBe(after[0]!.replyToken);
      const { sent } = (await (
        await fetch(`${h.apiUrl}/dev/api/users/${lineUserId}/timeline`)
      ).json()) as { sent: Array<{ kind: string; data?: string; status: number }> };
      expect(sent.at(-1)).toMatchObject({ kind: 'postback', status: 200 });
      expect(sent.at(-1)?.data).toContain('action=collect');
      expect(ui?.pageErrors).toEqual([]);
      await page.getByTestId('chat').evaluate((c) => (c.scrollTop = c.scrollHeight));
      await page.screenshot({ path: SCREENSHOT });
    },
    4 * STEP_MS,
  );
});
