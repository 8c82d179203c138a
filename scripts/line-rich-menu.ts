/**
 * Creates the bot's rich menu on the LINE channel, uploads its image (rendered here, Japanese
 * labels) and makes it the default, through the Messaging API:
 *
 *   npm run line:rich-menu
 *
 * Idempotent: a re-run with the same menu finds it by name (a hash of its content) and creates
 * nothing; a changed menu replaces the old one, which is deleted. Reads LINE_CHANNEL_ACCESS_TOKEN,
 * LINE_API_BASE_URL and LINE_DATA_API_BASE_URL from the environment or `.env`; with no token
 * set, it uses the running `npm run dev` stack's LINE stand-in.
 */

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describeIssues, EnvSchema } from '../config/env';
import { createLogger } from '../lib/logger';
import { renderRichMenuImage } from '../lib/rich-menu-image';
import { createLineClients } from '../services/line-client';
import { ensureRichMenu } from '../services/rich-menu';

const RichMenuEnv = EnvSchema.pick({
  LINE_CHANNEL_ACCESS_TOKEN: true,
  LINE_API_BASE_URL: true,
  LINE_DATA_API_BASE_URL: true,
  LOG_LEVEL: true,
});

/**
 * Without a channel token, the `npm run dev` stack's: its LINE stand-in (LINE_STAND_IN_PORT,
 * 4010) and the token it generated into the state directory, so the menu can be tried locally.
 */
function devStackEnv(): Record<string, string> {
  const dir = process.env.DEV_STATE_DIR ?? path.join(__dirname, '..', '.stack', 'dev');
  const file = path.join(dir, 'secrets.json');
  if (process.env.LINE_CHANNEL_ACCESS_TOKEN || !existsSync(file)) return {};
  const secrets = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  const standIn = `http://127.0.0.1:${process.env.LINE_STAND_IN_PORT ?? 4010}`;
  console.log(
    `no LINE_CHANNEL_ACCESS_TOKEN: using the npm run dev stack's LINE stand-in ${standIn}`,
  );
  return {
    LINE_CHANNEL_ACCESS_TOKEN: secrets.LINE_CHANNEL_ACCESS_TOKEN ?? '',
    LINE_API_BASE_URL: standIn,
    LINE_DATA_API_BASE_URL: standIn,
  };
}

async function main(): Promise<void> {
  const dotEnv = path.join(__dirname, '..', '.env');
  if (existsSync(dotEnv)) process.loadEnvFile(dotEnv);
  const parsed = RichMenuEnv.safeParse({ ...process.env, ...devStackEnv() });
  if (!parsed.success) {
    for (const line of describeIssues(parsed.error)) console.error(line);
    process.exit(2);
  }
  const env = parsed.data;
  const logger = createLogger(env.LOG_LEVEL, 'line-rich-menu');
  const image = await renderRichMenuImage();
  const result = await ensureRichMenu({ ...createLineClients(env), image, logger });
  console.log(
    result.created
      ? `rich menu ${result.richMenuId} created and set as default`
      : `rich menu ${result.richMenuId} already there${result.madeDefault ? ', set as default' : ''}`,
  );
  if (result.deleted.length) console.log(`deleted the older menus ${result.deleted.join(', ')}`);
}

main().catch((err: unknown) => {
  console.error(`line:rich-menu failed: ${(err as Error).message}`);
  process.exit(1);
});
