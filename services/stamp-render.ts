import { setTimeout as sleep } from 'node:timers/promises';
import sharp from 'sharp';
import { isBusinessError } from '../domain/errors';
import { permanent } from '../domain/stamp-failures';
import {
  baseKey,
  mainKey,
  previewKey,
  stampJobPrefix,
  stickerKey,
  tabKey,
  zipKey,
} from '../domain/stamp-keys';
import { storedStyle } from '../domain/stamp-options';
import type { StickerImageKind } from '../domain/sticker-spec';
import type { StickerStyle } from '../domain/sticker-style';
import type { Prisma } from '../lib/db';
import { readSafeExif, type SafeExif } from '../lib/stickers/exif';
import {
  prepareBase,
  renderMainImage,
  renderStickerFromPrepared,
  renderTabImage,
  type PreparedBase,
} from '../lib/stickers/render';
import { buildPreviewSheet, buildStampZip, checkStickerImage } from '../lib/stickers/stamp-set';
import { errorMessage, stampObjectsOf, type StampDeps } from './stamp-deps';
import { queueWithMessages } from './stamp-store';

/**
 * The drawing part of a stamp job: the base image (EXIF read, GPS dropped), the stickers, then
 * main and tab images, the ZIP and the preview sheet. Objects have fixed keys, so a retry finds
 * the work done. Permanent problems throw StampPermanentError (domain/stamp-failures.ts).
 */

/** How a long step reports to whoever runs it (the activity adapter: heartbeats). */
export interface RenderProgress {
  /** 1 on the first try; a later attempt checks which stickers are already stored. */
  attempt: number;
  /** Orders an earlier attempt reported done. */
  done: readonly number[];
  report(done: number[]): void;
  /** Resolves, or throws when the caller wants the work stopped. */
  checkpoint(): Promise<void>;
}

const NO_PROGRESS: RenderProgress = {
  attempt: 1,
  done: [],
  report: () => undefined,
  checkpoint: async () => undefined,
};

/** A small per-process cache of decoded base photos: a set is usually rendered by one worker. */
function preparedCache(max: number) {
  const entries = new Map<string, Promise<PreparedBase>>();
  const trim = () => {
    while (entries.size > max) entries.delete(entries.keys().next().value as string);
  };
  return {
    get(key: string, load: () => Promise<PreparedBase>): Promise<PreparedBase> {
      let hit = entries.get(key);
      if (hit) {
        entries.delete(key);
        entries.set(key, hit);
        return hit;
      }
      hit = load();
      entries.set(key, hit);
      hit.catch(() => entries.delete(key));
      trim();
      return hit;
    },
    set(key: string, value: PreparedBase): void {
      entries.set(key, Promise.resolve(value));
      trim();
    },
  };
}

/**
 * Stickers this process rendered and stored, by key, until the set's assembly takes them: the
 * assembly usually runs on the same worker right after, and reading 40 PNGs back from S3 was a
 * good part of its time. Bounded by bytes (oldest dropped first); a miss reads the bucket, so a
 * retry on another worker still finds everything.
 */
function renderedStickers(maxBytes: number) {
  const entries = new Map<string, Buffer>();
  let bytes = 0;
  return {
    put(key: string, png: Buffer): void {
      const old = entries.get(key);
      if (old) bytes -= old.length;
      entries.delete(key);
      entries.set(key, png);
      bytes += png.length;
      for (const [k, v] of entries) {
        if (bytes <= maxBytes) break;
        entries.delete(k);
        bytes -= v.length;
      }
    },
    /** The stored bytes, once: the entry is dropped, the assembly needs it only this time. */
    take(key: string): Buffer | undefined {
      const png = entries.get(key);
      if (png) {
        entries.delete(key);
        bytes -= png.length;
      }
      return png;
    },
  };
}

/** About ten 40-sticker sets of about 110 KB per sticker. */
const RENDERED_CACHE_BYTES = 48 * 1024 * 1024;

export function createStampRenderer(deps: StampDeps) {
  const { config, db, logger } = deps;
  const limits = config.catalog.stamp;
  const objects = stampObjectsOf(deps);
  const throttleMs =
    deps.renderThrottleMs ??
    (config.env.NODE_ENV === 'test' ? Number(process.env.STAMP_RENDER_THROTTLE_MS ?? 0) || 0 : 0);
  const cache = preparedCache(8);
  const storedStickers = renderedStickers(RENDERED_CACHE_BYTES);

  async function loadPrepared(queueId: string, userId: string): Promise<PreparedBase> {
    return cache.get(queueId, async () => {
      const bytes = await objects.get(baseKey(userId, queueId));
      if (!bytes) permanent('BASE_IMAGE_MISSING', `base image of stamp job ${queueId} is missing`);
      try {
        return await prepareBase(bytes, { maxInputPixels: limits.maxInputPixels });
      } catch (err) {
        permanent('BASE_IMAGE_INVALID', `base image of ${queueId}: ${errorMessage(err)}`);
      }
    });
  }

  /** The job's look (the card for jobs recorded before styles); a corrupt one fails for good. */
  function styleOf(queue: { id: string; style: unknown }): StickerStyle {
    const style = storedStyle(queue.style);
    if (!style) permanent('STICKER_RENDER_FAILED', `stamp job ${queue.id} has an invalid style`);
    return style;
  }

  async function validated(png: Buffer, kind: StickerImageKind, what: string): Promise<Buffer> {
    const violations = await checkStickerImage(png, kind);
    if (violations.length > 0) {
      permanent('STICKER_INVALID', `${what}: ${violations.map((v) => v.message).join('; ')}`);
    }
    return png;
  }

  return {
    /**
     * Reads the photo's EXIF (safe subset: camera, date, orientation, size; never GPS) into
     * `image_exif`, and replaces the upload by the drawing base: auto-oriented, at most
     * 1024 px, re-encoded without any metadata. The upload (with its GPS) is then deleted.
     */
    async prepareStampBase(input: { queueId: string }): Promise<{ exif: SafeExif | null }> {
      const queue = await db.lineStampGenerateQueue.findUnique({ where: { id: input.queueId } });
      if (!queue) permanent('QUEUE_NOT_FOUND', `stamp job ${input.queueId} does not exist`);
      const key = baseKey(queue.userId, queue.id);
      if (queue.imageUri === key) {
        // Done by an earlier attempt; make sure the upload (with its GPS) did not survive it.
        const prefix = stampJobPrefix(queue.userId, queue.id);
        const uploads = (await objects.list(`${prefix}upload.`)).filter((k) => k !== key);
        await Promise.all(uploads.map((k) => objects.delete(k)));
        return { exif: (queue.imageExif as SafeExif | null) ?? null };
      }
      const upload = await objects.get(queue.imageUri);
      if (!upload) permanent('BASE_IMAGE_MISSING', `uploaded photo of ${queue.id} is missing`);
      const exif = await readSafeExif(upload);
      let prepared: PreparedBase;
      let stored: { width?: number; height?: number };
      try {
        prepared = await prepareBase(upload, { maxInputPixels: limits.maxInputPixels });
        stored = await sharp(upload, { limitInputPixels: false }).metadata();
      } catch (err) {
        permanent('BASE_IMAGE_INVALID', `photo of ${queue.id}: ${errorMessage(err)}`);
      }
      // The safe EXIF subset; the size falls back to the file's own when EXIF has none.
      const safe: SafeExif = { ...(exif ?? {}) };
      safe.width ??= stored.width;
      safe.height ??= stored.height;
      // sharp writes no metadata unless asked to: the base carries no EXIF, GPS or ICC.
      const jpeg = await sharp(prepared.data, {
        raw: { width: prepared.width, height: prepared.height, channels: prepared.channels },
      })
        .jpeg({ quality: 92, chromaSubsampling: '4:4:4' })
        .toBuffer();
      await objects.put(key, jpeg, 'image/jpeg');
      await db.lineStampGenerateQueue.update({
        where: { id: queue.id },
        data: {
          imageExif: JSON.parse(JSON.stringify(safe)) as Prisma.InputJsonObject,
          imageUri: key,
          imageType: 'image/jpeg',
        },
      });
      cache.set(queue.id, prepared);
      await objects.delete(queue.imageUri).catch((err: unknown) => {
        logger.warn({ queueId: queue.id, err: errorMessage(err) }, 'could not delete the upload');
      });
      return { exif: safe };
    },

    /**
     * Renders the stickers of the given orders and stores each as soon as it is done,
     * reporting the orders finished so far. A retry skips what an earlier attempt stored,
     * so one message's failure re-renders that message only.
     */
    async renderStampStickers(
      input: { queueId: string; orders: number[] },
      progress: RenderProgress = NO_PROGRESS,
    ): Promise<{ rendered: number[]; skipped: number[] }> {
      const done = new Set<number>(progress.done);
      progress.report([...done]);
      const queue = await queueWithMessages(db, input.queueId);
      const texts = new Map(queue.messages.map((m) => [m.orderPriority, m.message]));
      const prepared = await loadPrepared(queue.id, queue.userId);
      const style = styleOf(queue);
      const rendered: number[] = [];
      const skipped: number[] = [];
      for (const order of input.orders) {
        const key = stickerKey(queue.userId, queue.id, order);
        if (done.has(order) || (progress.attempt > 1 && (await objects.exists(key)))) {
          done.add(order);
          skipped.push(order);
          progress.report([...done]);
          continue;
        }
        const text = texts.get(order);
        if (text === undefined) permanent('STICKER_RENDER_FAILED', `no message ${order}`);
        let png: Buffer;
        try {
          png = await renderStickerFromPrepared(prepared, text, { style });
        } catch (err) {
          if (isBusinessError(err)) {
            permanent('STICKER_RENDER_FAILED', `sticker ${order}: ${err.message}`);
          }
          throw err;
        }
        await validated(png, 'sticker', `sticker ${order}`);
        await objects.put(key, png, 'image/png');
        storedStickers.put(key, png);
        done.add(order);
        rendered.push(order);
        progress.report([...done]);
        if (throttleMs > 0) await sleep(throttleMs);
        await progress.checkpoint();
      }
      return { rendered, skipped };
    },

    /** Main and tab images, the ZIP of the set and the preview sheet, from the stored stickers. */
    async assembleStampSet(
      input: { queueId: string },
      progress: RenderProgress = NO_PROGRESS,
    ): Promise<{ stickers: number; zipBytes: number }> {
      const queue = await queueWithMessages(db, input.queueId);
      progress.report([]);
      const prepared = await loadPrepared(queue.id, queue.userId);
      const stickers = await Promise.all(
        queue.messages.map(async (m) => {
          const key = stickerKey(queue.userId, queue.id, m.orderPriority);
          const png = storedStickers.take(key) ?? (await objects.get(key));
          if (!png)
            permanent('STICKER_MISSING', `sticker ${m.orderPriority} of ${queue.id} is missing`);
          return { order: m.orderPriority, png };
        }),
      );
      progress.report([]);
      const firstText = queue.messages[0]?.message;
      const style = styleOf(queue);
      // The sheet needs only the stickers: it is drawn and stored while main, tab and the ZIP
      // are made, and every object is written as soon as it is ready.
      const sheetStored = buildPreviewSheet(stickers.map((s) => s.png)).then((preview) =>
        objects.put(previewKey(queue.userId, queue.id), preview, 'image/jpeg'),
      );
      const setStored = (async () => {
        const [main, tab] = await Promise.all([
          renderMainImage(prepared, firstText, { style }).then((b) =>
            validated(b, 'main', 'main image'),
          ),
          renderTabImage(prepared, { style }).then((b) => validated(b, 'tab', 'tab image')),
        ]);
        const written = Promise.all([
          objects.put(mainKey(queue.userId, queue.id), main, 'image/png'),
          objects.put(tabKey(queue.userId, queue.id), tab, 'image/png'),
        ]);
        const zip = await buildStampZip({ stickers, main, tab });
        progress.report([]);
        await Promise.all([
          written,
          objects.put(zipKey(queue.userId, queue.id), zip, 'application/zip'),
        ]);
        return zip.length;
      })();
      const [zipBytes] = await Promise.all([setStored, sheetStored]);
      return { stickers: stickers.length, zipBytes };
    },
  };
}
