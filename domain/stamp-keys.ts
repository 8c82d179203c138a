/**
 * Where a stamp job's files live in S3, and the IDs derived from a job's queue ID.
 *
 * Pure (no I/O, no Node module), so workflows, activities, the API and tests all agree on one layout:
 *
 *   stamps/<userId>/<queueId>/upload.<jpg|png|webp>  the photo as received (deleted once prepared)
 *   stamps/<userId>/<queueId>/base.jpg               oriented, ≤1024 px, no metadata: what is drawn
 *   stamps/<userId>/<queueId>/01.png … 40.png        one sticker per message (order_priority)
 *   stamps/<userId>/<queueId>/main.png               main image 240×240
 *   stamps/<userId>/<queueId>/tab.png                tab image 96×74
 *   stamps/<userId>/<queueId>/stickers.zip           01.png…, main.png, tab.png (Creators Market names)
 *   stamps/<userId>/<queueId>/preview.jpg            contact sheet of the set, for the LINE preview
 *   stamps/<userId>/<queueId>/style-<look>.jpg       a look's preview before the ticket is spent
 *
 * `userId` is our users.id (a UUID), never the LINE user ID, so keys carry no LINE identity.
 */

import { isUuid } from './uuid';

export const STAMP_KEY_ROOT = 'stamps';

export { isUuid };

function checkId(what: string, id: string): string {
  if (!isUuid(id)) throw new TypeError(`${what} must be a UUID, got ${JSON.stringify(id)}`);
  return id.toLowerCase();
}

/** Every object of one job starts with this prefix (ends with `/`). */
export function stampJobPrefix(userId: string, queueId: string): string {
  return `${STAMP_KEY_ROOT}/${checkId('userId', userId)}/${checkId('queueId', queueId)}/`;
}

export type UploadFormat = 'jpeg' | 'png' | 'webp';

const UPLOAD_EXTENSIONS: Readonly<Record<UploadFormat, string>> = {
  jpeg: 'jpg',
  png: 'png',
  webp: 'webp',
};

export function uploadKey(userId: string, queueId: string, format: UploadFormat): string {
  return `${stampJobPrefix(userId, queueId)}upload.${UPLOAD_EXTENSIONS[format]}`;
}

export function baseKey(userId: string, queueId: string): string {
  return `${stampJobPrefix(userId, queueId)}base.jpg`;
}

/** File name of a sticker in the set and in the ZIP: `01.png` … `40.png`. */
export function stickerFileName(order: number): string {
  if (!Number.isInteger(order) || order < 1 || order > 99) {
    throw new RangeError(`sticker order must be an integer 1..99, got ${order}`);
  }
  return `${String(order).padStart(2, '0')}.png`;
}

export function stickerKey(userId: string, queueId: string, order: number): string {
  return `${stampJobPrefix(userId, queueId)}${stickerFileName(order)}`;
}

export const MAIN_FILE = 'main.png';
export const TAB_FILE = 'tab.png';
export const ZIP_FILE = 'stickers.zip';
export const PREVIEW_FILE = 'preview.jpg';

export function mainKey(userId: string, queueId: string): string {
  return `${stampJobPrefix(userId, queueId)}${MAIN_FILE}`;
}

export function tabKey(userId: string, queueId: string): string {
  return `${stampJobPrefix(userId, queueId)}${TAB_FILE}`;
}

export function zipKey(userId: string, queueId: string): string {
  return `${stampJobPrefix(userId, queueId)}${ZIP_FILE}`;
}

export function previewKey(userId: string, queueId: string): string {
  return `${stampJobPrefix(userId, queueId)}${PREVIEW_FILE}`;
}

/**
 * The preview sheet of one look for a photo that still waits for its texts (LINE style choice):
 * one object per look, so a retried preview finds its sheet and a second tap re-sends it.
 */
export function stylePreviewKey(userId: string, queueId: string, look: string): string {
  if (!/^[a-z]{1,20}$/.test(look)) throw new TypeError(`not a look name: ${JSON.stringify(look)}`);
  return `${stampJobPrefix(userId, queueId)}style-${look}.jpg`;
}

/** The stamp job workflow's ID: one job per queue row, so the ID is the idempotency key. */
export function stampJobWorkflowId(queueId: string): string {
  return `stamp-${queueId}`;
}

/** The HTTP upload's workflow (records the job, starts it): one per queue row. */
export function stampUploadWorkflowId(queueId: string): string {
  return `stamp-upload-${queueId}`;
}

/**
 * The former timer workflow that expired a waiting photo: only histories recorded before the
 * LINE session kept the deadline itself still start or cancel it.
 */
export function stampPhotoExpiryWorkflowId(queueId: string): string {
  return `stamp-expiry-${queueId}`;
}

/** source_ref of the replacement ticket a refunded job gives back. */
export function refundSourceRef(queueId: string): string {
  return `refund:${queueId}`;
}
