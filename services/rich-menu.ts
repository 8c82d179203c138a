import { createHash } from 'node:crypto';
import { HTTPFetchError, type messagingApi } from '@line/bot-sdk';
import { RICH_MENU_NAME_PREFIX, richMenuBody, richMenuName } from '../domain/line-ui/rich-menu';
import type { Logger } from '../lib/logger';

/**
 * Puts the bot's rich menu on the channel and makes it the default, idempotently: the menu's
 * name carries a hash of its definition and image, so a re-run finds the menu it made and
 * creates nothing; a changed menu is created, set as default, and the project's older menus
 * (same name prefix) are deleted. Other rich menus of the channel are left alone.
 */

export interface RichMenuResult {
  richMenuId: string;
  name: string;
  created: boolean;
  imageUploaded: boolean;
  madeDefault: boolean;
  /** The project's older menus deleted by this run. */
  deleted: string[];
}

const isNotFound = (err: unknown) => err instanceof HTTPFetchError && err.status === 404;

/** sha256 of the create request (without its name) and the image bytes, 16 hex digits. */
export function richMenuContentHash(body: unknown, image: Buffer): string {
  return createHash('sha256').update(JSON.stringify(body)).update(image).digest('hex').slice(0, 16);
}

export async function ensureRichMenu(deps: {
  client: messagingApi.MessagingApiClient;
  blob: messagingApi.MessagingApiBlobClient;
  image: Buffer;
  logger: Pick<Logger, 'info'>;
}): Promise<RichMenuResult> {
  const { client, blob, image, logger } = deps;
  const body = richMenuBody();
  const name = richMenuName(richMenuContentHash(body, image));

  const { richmenus } = await client.getRichMenuList();
  const ours = richmenus.filter((m) => m.name.startsWith(`${RICH_MENU_NAME_PREFIX} `));
  const existing = ours.find((m) => m.name === name);
  const richMenuId =
    existing?.richMenuId ?? (await client.createRichMenu({ ...body, name })).richMenuId;

  // A run that died between create and upload left a menu without its image: LINE takes an
  // image once per menu, so upload only when there is none.
  let imageUploaded = false;
  const hasImage = existing
    ? await blob.getRichMenuImage(richMenuId).then(
        (stream) => {
          stream.resume();
          return true;
        },
        (err: unknown) => {
          if (isNotFound(err)) return false;
          throw err;
        },
      )
    : false;
  if (!hasImage) {
    await blob.setRichMenuImage(richMenuId, new Blob([image], { type: 'image/png' }));
    imageUploaded = true;
  }

  const current = await client.getDefaultRichMenuId().then(
    (r) => r.richMenuId,
    (err: unknown) => {
      if (isNotFound(err)) return undefined;
      throw err;
    },
  );
  const madeDefault = current !== richMenuId;
  if (madeDefault) await client.setDefaultRichMenu(richMenuId);

  // Only after the new one is the default, so users never see the channel without a menu.
  const deleted: string[] = [];
  for (const old of ours) {
    if (old.richMenuId === richMenuId) continue;
    await client.deleteRichMenu(old.richMenuId);
    deleted.push(old.richMenuId);
  }
  const result = { richMenuId, name, created: !existing, imageUploaded, madeDefault, deleted };
  logger.info(result, 'rich menu ensured');
  return result;
}
