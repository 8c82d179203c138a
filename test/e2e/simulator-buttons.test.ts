import path from 'node:path';
import sharp from 'sharp';
import { followAsNewUser, RESULTS_DIR } from '../support/browser';
import { writeCatalogVariant, type CatalogVariant } from '../support/catalog-variant';
import { useSimulatorPage } from '../support/simulator-page';

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
  let lineUserId = '';
  let catalog: CatalogVariant | undefined;
  const sim = useSimulatorPage('simulator-buttons', {
    harness: () => {
      catalog = writeCatalogVariant((c) => {
        c.chat.answerNoticeAfterSeconds = NOTICE_AFTER_SECONDS;
        c.chat.collectWaitSeconds = COLLECT_WAIT_SECONDS;
      });
      return { env: { CATALOG_FILE: catalog.file } };
    },
  });

  afterAll(() => catalog?.remove());

  const quickReply = (label: string) =>
    sim.page.locator('[data-testid="quick-reply-button"]', { hasText: label });
  /** What the bot sent the user, loading indicators left out. */
  const toUser = () =>
    sim.h.line.received({ userId: lineUserId }).filter((r) => r.kind !== 'loading');

  it('a user follows the bot', async () => {
    await sim.openSimulator();
    lineUserId = await followAsNewUser(sim.page, STEP_MS);
  });

  it('sends a LINE sticker from the 😊 row: the bot’s friendly reply, free', async () => {
    await sim.page.getByTestId('sticker-open').click();
    await sim.page.locator('[data-testid="sticker-option"][data-sticker="446/1989"]').click();
    await sim.page.getByTestId('user-sticker').waitFor({ timeout: STEP_MS });
    expect(await sim.page.getByTestId('user-sticker').textContent()).toBe('👍');
    await sim.page
      .locator('[data-testid="bot-text"]', { hasText: sim.h.config.catalog.messages.stickerReply })
      .waitFor({ timeout: STEP_MS });
    const user = await sim.h.db.user.findUniqueOrThrow({ where: { lineUserId } });
    expect(await sim.h.db.usageRecord.count({ where: { userId: user.id } })).toBe(0);
  });

  it(
    'a photo offers 「この画像について質問」; after the tap, the typed question is answered about it',
    async () => {
      // A plan whose tier sees images (the free plan is offered the upgrade instead).
      await sim.h.db.user.update({ where: { lineUserId }, data: { planId: 'basic' } });
      const photo = await sharp({
        create: { width: 640, height: 480, channels: 3, background: { r: 90, g: 160, b: 230 } },
      })
        .jpeg({ quality: 85 })
        .toBuffer();
      await sim.choosePhoto(photo);
      await sim.page.getByTestId('send-photo').click();
      await quickReply('この画像について質問').waitFor({ timeout: STEP_MS });
      await quickReply('この画像について質問').click();
      await sim.page
        .locator('[data-testid="user-message"]', { hasText: 'この画像について質問' })
        .waitFor({ timeout: STEP_MS });
      await sim.page
        .locator('[data-testid="bot-text"]', { hasText: 'この画像について知りたいこと' })
        .waitFor({ timeout: STEP_MS });
      const question = 'これは何の色？';
      await sim.page.getByTestId('composer-input').fill(question);
      await sim.page.getByTestId('send').click();
      await sim.page
        .locator('[data-testid="bot-text"]', { hasText: `了解しました: ${question}` })
        .waitFor({ timeout: STEP_MS });
      // The model saw the photo: an image part beside the question.
      const asked = sim.h.llm
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
      const label = sim.h.config.catalog.chat.collectButtonLabel;
      const from = toUser().at(-1)?.seq ?? 0;
      // The LLM stand-in takes longer than the notice waits ([[delay:MS]] affects this request).
      const question = 'ゆっくり考えて';
      await sim.page.getByTestId('composer-input').fill(`${question} ${SLOW}`);
      await sim.page.getByTestId('send').click();
      await quickReply(label).waitFor({ timeout: STEP_MS });
      const notice = toUser().find((r) => r.seq > from && r.kind === 'reply');
      expect(notice?.messages?.[0]?.text).toBe(sim.h.config.catalog.chat.answerNotice);
      await quickReply(label).click();
      // The tap shows as the user's words (displayText), and the answer follows.
      await sim.page
        .locator('[data-testid="user-message"]', { hasText: label })
        .waitFor({ timeout: STEP_MS });
      await sim.page
        .locator('[data-testid="bot-text"]', { hasText: `了解しました: ${question}` })
        .waitFor({ timeout: STEP_MS });
      const after = toUser().filter((r) => r.seq > from);
      // Two replies, each on its own token (the message's, then the tap's); nothing pushed.
      expect(after.map((r) => r.kind)).toEqual(['reply', 'reply']);
      expect(after[1]!.replyToken).not.toBe(after[0]!.replyToken);
      const { sent } = (await (
        await fetch(`${sim.h.apiUrl}/dev/api/users/${lineUserId}/timeline`)
      ).json()) as { sent: Array<{ kind: string; data?: string; status: number }> };
      expect(sent.at(-1)).toMatchObject({ kind: 'postback', status: 200 });
      expect(sent.at(-1)?.data).toContain('action=collect');
      expect(sim.pageErrors).toEqual([]);
      await sim.page.getByTestId('chat').evaluate((c) => (c.scrollTop = c.scrollHeight));
      await sim.page.screenshot({ path: SCREENSHOT });
    },
    4 * STEP_MS,
  );
});
