import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { HTTPFetchError } from '@line/bot-sdk';
import { parseCommand } from '../../domain/commands';
import { RICH_MENU_SIZE, RICH_MENU_TILES, tileBounds } from '../../domain/line-ui/rich-menu';
import { createLogger } from '../../lib/logger';
import { renderRichMenuImage } from '../../lib/rich-menu-image';
import { startLinePlatform, type LinePlatformStandIn } from '../../stand-ins';
import { createLineClients, type LineClients } from '../../services/line-client';
import { ensureRichMenu } from '../../services/rich-menu';
import { lineSchemaErrors } from '../support/line-openapi';

const run = promisify(execFile);
const root = path.join(__dirname, '../..');
const TOKEN = 'rich-menu-test-channel-token';

/**
 * `npm run line:rich-menu` against the LINE stand-in through the real @line/bot-sdk clients:
 * the menu is created with its rendered image and made the default; a re-run creates nothing;
 * a changed menu replaces the old one, which is deleted. Every create request is checked against
 * LINE's OpenAPI description (RichMenuRequest), as are the stand-in's answers.
 */
describe('rich menu (npm run line:rich-menu)', () => {
  let line: LinePlatformStandIn;
  let clients: LineClients;
  const logger = createLogger('silent');

  beforeAll(async () => {
    line = await startLinePlatform({ channelAccessToken: TOKEN });
    clients = createLineClients({
      LINE_CHANNEL_ACCESS_TOKEN: TOKEN,
      LINE_API_BASE_URL: line.url,
      LINE_DATA_API_BASE_URL: line.dataUrl,
    });
  });
  afterAll(async () => {
    await line?.close();
  });

  /** The script as npm runs it, in its own process. */
  async function runScript() {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', path.join(root, 'scripts/line-rich-menu.ts')],
      {
        cwd: root,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          LINE_CHANNEL_ACCESS_TOKEN: TOKEN,
          LINE_API_BASE_URL: line.url,
          LINE_DATA_API_BASE_URL: line.dataUrl,
          LOG_LEVEL: 'silent',
        },
        timeout: 60_000,
      },
    );
    return stdout;
  }

  const creates = () =>
    line.richMenus().calls.filter((c) => c.method === 'POST' && c.path === '/v2/bot/richmenu');

  it('creates the menu, uploads its image and sets it as default; a re-run creates nothing', async () => {
    expect(await runScript()).toMatch(/created and set as default/);
    const first = line.richMenus();
    expect(first.menus).toHaveLength(1);
    const [menu] = first.menus;
    expect(menu).toMatchObject({ hasImage: true });
    expect(first.defaultId).toBe(menu!.richMenuId);
    expect(creates()).toHaveLength(1);
    for (const c of creates()) expect(lineSchemaErrors('RichMenuRequest', c.body)).toEqual([]);
    // (and the check can fail: LINE's chat bar text is at most 14 characters)
    expect(
      lineSchemaErrors('RichMenuRequest', {
        ...(creates()[0]!.body as object),
        chatBarText: 'あ'.repeat(15),
      }),
    ).not.toEqual([]);

    // Each area is a tile of the image and sends a command the chat understands.
    const body = creates()[0]!.body as {
      size: unknown;
      areas: Array<{ bounds: unknown; action: { type: string; text: string; label: string } }>;
    };
    expect(body.size).toEqual(RICH_MENU_SIZE);
    expect(body.areas.map((a) => a.bounds)).toEqual(tileBounds());
    for (const area of body.areas) {
      expect(area.action.type).toBe('message');
      expect(parseCommand(area.action.text)).toBeDefined();
    }
    expect(body.areas.map((a) => a.action.label)).toEqual(
      expect.arrayContaining(['購入', '残高', 'スタンプ', 'ヘルプ', 'プラン管理']),
    );

    // The stand-in's answers are what LINE's description says they are.
    const list = await clients.client.getRichMenuList();
    expect(lineSchemaErrors('RichMenuListResponse', list)).toEqual([]);
    expect(
      lineSchemaErrors('RichMenuIdResponse', await clients.client.getDefaultRichMenuId()),
    ).toEqual([]);
    expect(
      lineSchemaErrors('RichMenuResponse', await clients.client.getRichMenu(menu!.richMenuId)),
    ).toEqual([]);

    expect(await runScript()).toMatch(/already there/);
    const second = line.richMenus();
    expect(second.menus.map((m) => m.richMenuId)).toEqual([menu!.richMenuId]);
    expect(second.defaultId).toBe(menu!.richMenuId);
    expect(creates()).toHaveLength(1);
    expect(second.calls.filter((c) => c.path.endsWith('/content'))).toHaveLength(1);
  });

  it('the image is a PNG of the menu size, under 1 MB, uploaded once', async () => {
    const [menu] = line.richMenus().menus;
    const stream = await clients.blob.getRichMenuImage(menu!.richMenuId);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    const png = Buffer.concat(chunks);
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect({ width: png.readUInt32BE(16), height: png.readUInt32BE(20) }).toEqual(RICH_MENU_SIZE);
    expect(png.length).toBeLessThan(1024 * 1024);
    // LINE takes one image per menu: the stand-in refuses a second as LINE does.
    await expect(
      clients.blob.setRichMenuImage(menu!.richMenuId, new Blob([png], { type: 'image/png' })),
    ).rejects.toMatchObject({ status: 400 });
  });

  it('a changed menu replaces the old one: created, made default, the old one deleted', async () => {
    const [old] = line.richMenus().menus;
    const tiles = RICH_MENU_TILES.map((t) =>
      t.text === 'ヘルプ' ? { ...t, caption: '使い方・料金' } : t,
    );
    const result = await ensureRichMenu({
      ...clients,
      image: await renderRichMenuImage(tiles),
      logger,
    });
    expect(result).toMatchObject({ created: true, madeDefault: true, deleted: [old!.richMenuId] });
    const after = line.richMenus();
    expect(after.menus.map((m) => m.richMenuId)).toEqual([result.richMenuId]);
    expect(after.defaultId).toBe(result.richMenuId);
    for (const c of creates()) expect(lineSchemaErrors('RichMenuRequest', c.body)).toEqual([]);
  });

  it('a run that died between create and upload is finished by the next: image, default, no second menu', async () => {
    line.reset();
    const image = await renderRichMenuImage();
    // The upload fails once (as a LINE outage would), after the menu was created.
    line.failNext('/v2/bot/richmenu/*/content', 500);
    await expect(ensureRichMenu({ ...clients, image, logger })).rejects.toBeInstanceOf(
      HTTPFetchError,
    );
    expect(line.richMenus().menus).toMatchObject([{ hasImage: false }]);
    const result = await ensureRichMenu({ ...clients, image, logger });
    expect(result).toMatchObject({ created: false, imageUploaded: true, madeDefault: true });
    expect(line.richMenus().menus).toMatchObject([{ hasImage: true }]);
    expect(line.richMenus().defaultId).toBe(result.richMenuId);
  });

  it('the stand-in refuses what LINE refuses: a bad size, areas outside, a default without an image', async () => {
    const bad = (over: Record<string, unknown>) =>
      clients.client.createRichMenu({
        size: { width: 2500, height: 1686 },
        selected: false,
        name: 'x',
        chatBarText: 'menu',
        areas: [
          {
            bounds: { x: 0, y: 0, width: 100, height: 100 },
            action: { type: 'message', text: 'ヘルプ' },
          },
        ],
        ...over,
      });
    await expect(bad({ size: { width: 2500, height: 2500 } })).rejects.toMatchObject({
      status: 400,
    });
    await expect(
      bad({
        areas: [
          {
            bounds: { x: 2400, y: 0, width: 200, height: 100 },
            action: { type: 'message', text: 'x' },
          },
        ],
      }),
    ).rejects.toMatchObject({ status: 400 });
    await expect(bad({ chatBarText: 'あ'.repeat(15) })).rejects.toMatchObject({ status: 400 });
    const { richMenuId } = await bad({});
    await expect(clients.client.setDefaultRichMenu(richMenuId)).rejects.toMatchObject({
      status: 400,
    });
    await clients.client.deleteRichMenu(richMenuId);
    await expect(clients.client.getRichMenu(richMenuId)).rejects.toMatchObject({ status: 404 });
  });
});
