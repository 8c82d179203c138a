/**
 * Creates the bot's rich menu on the LINE channel, uploads its image (rendered here, Japanese
 * labels) and makes it the default, through the Messaging API:
 *
 *   npm run line:rich-menu
 *
 * Idempotent: a re-run with the same menu finds it by name (a hash of its content) and creates
 * nothing; a changed menu replaces the old one, which is deleted. Reads LINE_CHANNEL_ACCESS_TOKEN,
 * LINE_API_BASE_URL and LINE_DATA_API_BASE_URL from the environment or `.env` (the LINE
 * stand-in of `npm run dev` by pointing both URLs at it).
 */

import { existsSync } from 'node:fs';
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

async function main(): Promise<void> {
  const dotEnv = path.join(__dirname, '..', '.env');
  if (existsSync(dotEnv)) process.loadEnvFile(dotEnv);
  const parsed = RichMenuEnv.safeParse(process.env);
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
