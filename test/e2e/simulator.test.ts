import path from 'node:path';
import type { Client } from '@temporalio/client';
import sharp from 'sharp';
import request from 'supertest';
import { createApp } from '../../api/app';
import { devSimulatorEnabled } from '../../api/dev';
import { createPrisma } from '../../lib/db';
import { createLogger } from '../../lib/logger';
import { createMetrics } from '../../lib/metrics';
import { createS3 } from '../../lib/s3';
import { followAsNewUser, RESULTS_DIR } from '../support/browser';
import { useSimulatorPage } from '../support/simulator-page';
import { testConfig, waitFor } from '../support/workers';

/**
 * The local LINE simulator (/dev), driven in a real headless Chromium against the whole system
 * in-process (API, workers on all task queues, LINE/LLM stand-ins, stripe-mock, Temporal,
 * PostgreSQL, MinIO). Everything the page does goes through the real signed webhooks.
 */

const SCREENSHOT = path.join(RESULTS_DIR, 'simulator.png');
/** The same page with the chat scrolled to its beginning (follow, chat, purchases). */
const SCREENSHOT_TOP = path.join(RESULTS_DIR, 'simulator-top.png');
/** Generous: workflows, activity retries and first-time worker warm-up on a slow machine. */
const STEP_MS = 60_000;
const STAMP_MS = 180_000;

describe('/dev is mounted only for local runs', () => {
  function appWith(overrides: Record<string, string>) {
    const config = testConfig(overrides);
    const db = createPrisma(config.env.DATABASE_URL);
    const s3 = createS3(config.env);
    const app = createApp({
      config,
      db,
      s3,
      // Never reached: these requests touch no Temporal route.
      temporal: {} as Client,
      logger: createLogger('silent'),
      metrics: createMetrics(),
    });
    return {
      app,
      close: async () => {
        await db.$disconnect();
        s3.destroy();
      },
    };
  }

  it('is enabled in development/test, never in production (not even with the stand-ins)', () => {
    expect(devSimulatorEnabled({ NODE_ENV: 'production', LOCAL_STAND_INS: false })).toBe(false);
    expect(devSimulatorEnabled({ NODE_ENV: 'production', LOCAL_STAND_INS: true })).toBe(false);
    expect(devSimulatorEnabled({ NODE_ENV: 'development', LOCAL_STAND_INS: false })).toBe(true);
    expect(devSimulatorEnabled({ NODE_ENV: 'test', LOCAL_STAND_INS: false })).toBe(true);
  });

  it('answers 404 for /dev and /dev/api/* in production without stand-ins', async () => {
    const { app, close } = appWith({ NODE_ENV: 'production', LOCAL_STAND_INS: 'false' });
    try {
      for (const [method, url] of [
        ['get', '/dev'],
        ['get', '/dev/api/info'],
        ['post', '/dev/api/users'],
        ['get', '/dev/assets/noto-sans-jp.ttf'],
        ['get', '/dev/assets/simulator.js'],
      ] as const) {
        const res = await request(app)[method](url);
        expect({ url, status: res.status }).toEqual({ url, status: 404 });
      }
    } finally {
      await close();
    }
  });

  it.each([
    ['development with LOCAL_STAND_INS=true', { NODE_ENV: 'development', LOCAL_STAND_INS: 'true' }],
    ['development', { NODE_ENV: 'development', LOCAL_STAND_INS: 'false' }],
    ['test', { NODE_ENV: 'test', LOCAL_STAND_INS: 'false' }],
  ])('serves the page in %s', async (_label, env) => {
    const { app, close } = appWith(env);
    try {
      const res = await request(app).get('/dev');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/text\/html/);
      expect(res.text).toContain('LINE シミュレーター');
      // No external resources: everything comes from this server.
      expect(res.text).not.toMatch(/(src|href)=["']https?:\/\//);
      // The browser never gets a secret.
      const config = testConfig(env);
      for (const secret of [
        config.env.LINE_CHANNEL_SECRET,
        config.env.STRIPE_WEBHOOK_SECRET,
        config.env.LINE_CHANNEL_ACCESS_TOKEN,
      ])
        expect(res.text).not.toContain(secret);
      // Its scripts and styles, served by name; nothing else from the folder.
      const assets = [...res.text.matchAll(/(?:src|href)="(\/dev\/assets\/[^"]+)"/g)];
      expect(assets.map((a) => a[1])).toEqual(
        expect.arrayContaining(['/dev/assets/simulator.css', '/dev/assets/simulator.js']),
      );
      for (const src of assets) {
        const asset = await request(app).get(src[1]!);
        expect({ src: src[1], status: asset.status }).toEqual({ src: src[1], status: 200 });
      }
      for (const name of ['routes-page.ts', 'simulator.html', '..%2Findex.ts'])
        expect((await request(app).get(`/dev/assets/${name}`)).status).toBe(404);
    } finally {
      await close();
    }
  });

  it('says clearly when the LINE stand-in is not there (real LINE credentials)', async () => {
    const { app, close } = appWith({
      NODE_ENV: 'development',
      LINE_API_BASE_URL: 'http://127.0.0.1:9',
      LINE_DATA_API_BASE_URL: 'http://127.0.0.1:9',
    });
    try {
      const res = await request(app).post(`/dev/api/users/U${'a'.repeat(32)}/follow`);
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ error_code: 'STAND_IN_UNAVAILABLE' });
      expect(res.body.error).toContain('LOCAL_STAND_INS');
    } finally {
      await close();
    }
  });
});

describe('LINE simulator in a headless browser', () => {
  const sim = useSimulatorPage('simulator');
  let lineUserId = '';

  const userId = async () => (await sim.h.db.user.findUniqueOrThrow({ where: { lineUserId } })).id;
  const shownNumber = async (testId: string) => {
    const text = (await sim.page.getByTestId(testId).textContent()) ?? '';
    return Number(text.replace(/[^\d-]/g, ''));
  };
  /** Waits until the page shows the balance the ledger has, and returns it. */
  async function settledBalance(expected?: number): Promise<number> {
    let balance = NaN;
    let shown = NaN;
    await waitFor(
      async () => {
        balance = (await sim.h.ledger.getBalance(await userId())).balance;
        shown = await shownNumber('balance');
        return shown === (expected ?? balance);
      },
      `the page to show the balance ${expected ?? 'of the ledger'} (ledger ${balance}, shown ${shown})`,
      STEP_MS,
    );
    return shown;
  }

  it('loads the page with the Japanese font served locally', async () => {
    await sim.openSimulator();
    // Browser code as a string: the project's TypeScript has no DOM types.
    const font = await sim.page.evaluate(`(async () => {
      const faces = await document.fonts.load('16px "Simulator Noto Sans JP"', 'あ漢字');
      return { loaded: faces.length, check: document.fonts.check('16px "Simulator Noto Sans JP"', 'あ漢字') };
    })()`);
    expect(font).toEqual({ loaded: 1, check: true });
    expect(await sim.page.getByTestId('buy-points_500').isVisible()).toBe(true);
    expect(await sim.page.getByTestId('buy-tickets_1').isVisible()).toBe(true);
  });

  it('creates a LINE-format user and follows the bot', async () => {
    await sim.page.getByTestId('display-name').fill('テスト花子');
    lineUserId = await followAsNewUser(sim.page, STEP_MS);
    // The follow created the user; the page shows what the ledger says.
    await settledBalance();
    expect(await sim.h.db.user.count({ where: { lineUserId } })).toBe(1);
    // Temporal Web UI link for the user's workflows.
    const href = await sim.page.getByTestId('workflows-link').getAttribute('href');
    const ns = encodeURIComponent(sim.h.config.env.TEMPORAL_NAMESPACE);
    expect(href).toBe(
      `${sim.h.config.env.TEMPORAL_UI_URL.replace(/\/+$/, '')}/namespaces/${ns}/workflows?query=` +
        encodeURIComponent(`LineUserId="${lineUserId}"`),
    );
  });

  it('sends a chat message and shows the bot reply bubble', async () => {
    const question = '富士山の高さを教えて';
    await sim.page.getByTestId('composer-input').fill(question);
    await sim.page.getByTestId('send').click();
    await sim.page
      .locator('[data-testid="user-message"]', { hasText: question })
      .waitFor({ timeout: STEP_MS });
    // The LLM stand-in answers "[model] 了解しました: <the question>".
    await sim.page
      .locator('[data-testid="bot-text"]', { hasText: `了解しました: ${question}` })
      .waitFor({ timeout: STEP_MS });
    // The user's bubble links to the turn's own workflow (chat-<webhookEventId>) and to the
    // session run that claimed the event.
    await sim.page
      .locator('[data-testid="user-message"] .meta a[href*="chat-"]')
      .first()
      .waitFor({ timeout: STEP_MS });
    await sim.page
      .locator('[data-testid="user-message"] .meta a[href*="line-user-"]')
      .first()
      .waitFor({ timeout: STEP_MS });
    const workflows = await sim.page.getByTestId('workflows').textContent();
    expect(workflows).toContain('lineUserSession');
    expect(workflows).toContain('chatTurn');
  });

  it('buys points and shows the balance change', async () => {
    const before = await settledBalance();
    await sim.page.getByTestId('buy-points_500').click();
    await sim.page
      .locator('[data-testid="bot-text"]', {
        hasText: '「500ポイント」のご購入ありがとうございます',
      })
      .waitFor({ timeout: STEP_MS });
    expect(await settledBalance(before + 500)).toBe(before + 500);
    const notice = sim.page.getByTestId('purchase-notice').first();
    const link = await waitFor(
      async () => (await notice.locator('a').getAttribute('href')) ?? null,
      'the link to the grant workflow',
      STEP_MS,
    );
    expect(decodeURIComponent(link)).toContain('stripe-evt_');
  });

  it('buys a stamp ticket', async () => {
    await sim.page.getByTestId('buy-tickets_1').click();
    await sim.page
      .locator('[data-testid="bot-text"]', { hasText: 'スタンプチケットを1枚追加しました' })
      .waitFor({ timeout: STEP_MS });
    await waitFor(async () => (await shownNumber('tickets')) === 1, 'one ticket shown', STEP_MS);
  });

  // Depends on the LINE session routing photos and the following text to the stamp intake
  // (stampPhotoIntake / stampTextsIntake). Until that is wired, the bot answers the photo with
  // the "not ready" text and this step times out waiting for sticker images.
  it(
    'sends a photo with two sticker texts and receives sticker images',
    async () => {
      const photo = await sharp({
        create: { width: 640, height: 480, channels: 3, background: { r: 250, g: 180, b: 90 } },
      })
        .composite([
          {
            input: Buffer.from(
              '<svg xmlns="http://www.w3.org/2000/svg" width="640" height="480">' +
                '<circle cx="320" cy="240" r="150" fill="#3a7bd5"/>' +
                '<rect x="60" y="60" width="120" height="90" fill="#ffffff"/></svg>',
            ),
          },
        ])
        .jpeg({ quality: 85 })
        .toBuffer();
      await sim.choosePhoto(photo);
      await sim.page.getByTestId('sticker-texts').fill('ありがとう\nおつかれさま');
      await sim.page.getByTestId('send-photo').click();
      await sim.page
        .locator('[data-testid="user-message"]', { hasText: 'おつかれさま' })
        .waitFor({ timeout: STEP_MS });
      await waitFor(
        async () => (await sim.page.getByTestId('bot-image').count()) >= 2,
        'two sticker images from the bot',
        STAMP_MS,
      );
      // The images really load (presigned S3 URLs from MinIO), not broken-image icons.
      await waitFor(
        () =>
          sim.page.$$eval('[data-testid="bot-image"]', (imgs) =>
            (imgs as unknown as Array<{ complete: boolean; naturalWidth: number }>).every(
              (i) => i.complete && i.naturalWidth > 0,
            ),
          ),
        'the sticker images to load',
        STEP_MS,
      );
      await waitFor(async () => (await shownNumber('tickets')) === 0, 'the ticket used', STEP_MS);
      // One sticker per text was rendered and stored, and the page linked the stamp job.
      expect(
        await sim.h.db.lineStampImage.count({ where: { userId: await userId(), kind: 'sticker' } }),
      ).toBe(2);
      await sim.page
        .locator('[data-testid="workflows"] li', { hasText: 'stampJob' })
        .waitFor({ timeout: STEP_MS });
    },
    STAMP_MS + 2 * STEP_MS,
  );

  it('refuses bad input to its JSON endpoints with 400', async () => {
    const post = (url: string, body: unknown) =>
      fetch(`${sim.h.apiUrl}${url}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await post('/dev/api/users/not-a-line-id/text', { text: 'x' })).status).toBe(400);
    expect((await post(`/dev/api/users/${lineUserId}/text`, { text: '' })).status).toBe(400);
    expect(
      (await post(`/dev/api/users/${lineUserId}/buy`, { productId: 'sub_basic' })).status,
    ).toBe(400);
    const noImage = await fetch(`${sim.h.apiUrl}/dev/api/users/${lineUserId}/photo`, {
      method: 'POST',
      body: new FormData(),
    });
    expect(noImage.status).toBe(400);
  });

  it('had no script errors and saves a screenshot', async () => {
    await sim.page.getByTestId('chat').evaluate((c) => (c.scrollTop = 0));
    await sim.page.screenshot({ path: SCREENSHOT_TOP });
    await sim.page.getByTestId('chat').evaluate((c) => (c.scrollTop = c.scrollHeight));
    await sim.page.screenshot({ path: SCREENSHOT });
    expect(sim.pageErrors).toEqual([]);
  });
});
