import os from 'node:os';
import JSZip from 'jszip';
import sharp from 'sharp';
import { MAIN_FILE, TAB_FILE, stickerFileName } from '../domain/stamp-keys';
import { STICKER_LOOKS, STYLE_PRESETS } from '../domain/sticker-style';
import {
  prepareBase,
  renderMainImage,
  renderStickerFromPrepared,
  renderTabImage,
} from '../lib/stickers/render';
import { buildPreviewSheet, buildStampZip, type SetImages } from '../lib/stickers/stamp-set';
import { createS3, ensureBucket } from '../lib/s3';
import { startStack } from '../scripts/infra';
import { createStampObjects } from '../services/stamp-objects';

/**
 * The CPU part of a 40-sticker set's assembly (ZIP, preview sheet, main and tab images), each
 * beside the implementation it replaced, measured in one run so the ratio holds on a busy
 * machine (bench:stamp needs a quiet one and the whole stack):
 *
 *   node --import tsx bench/stamp-assembly.ts
 *
 * BENCH_ASSEMBLY_RUNS (default 9) alternating repetitions per pair; prints the median wall and
 * CPU (user + system, all threads) milliseconds of each, and the ratio before / after.
 * BENCH_ASSEMBLY_S3=1 also starts a private MinIO and times reading the 40 stickers back from
 * it, which the renderer's in-process copy (services/stamp-render.ts) now spares the assembly.
 */

const RUNS = Number(process.env.BENCH_ASSEMBLY_RUNS ?? 9);
const TEXTS = ['ありがとう', 'おつかれさまでした', 'OK!', 'やったね🎉', 'よろしくお願いします'];

/** Before: JSZip, stored entries (its CRC and stream machinery in JavaScript). */
async function zipBefore(set: SetImages): Promise<Buffer> {
  const zip = new JSZip();
  const date = new Date(Date.UTC(2020, 0, 1));
  for (const s of [...set.stickers].sort((a, b) => a.order - b.order))
    zip.file(stickerFileName(s.order), s.png, { date, binary: true });
  zip.file(MAIN_FILE, set.main, { date, binary: true });
  zip.file(TAB_FILE, set.tab, { date, binary: true });
  return zip.generateAsync({ type: 'nodebuffer', compression: 'STORE' });
}

/** Before: each cell resized, encoded as a PNG, then decoded again by the composite. */
async function sheetBefore(stickers: readonly Buffer[]): Promise<Buffer> {
  const columns = 5;
  const rows = Math.ceil(stickers.length / columns);
  const cells = await Promise.all(
    stickers.map(async (png, i) => ({
      input: await sharp(png)
        .resize(184, 160, { fit: 'contain', background: { r: 0, g: 0, b: 0, alpha: 0 } })
        .png()
        .toBuffer(),
      left: 8 + (i % columns) * 192,
      top: 8 + Math.floor(i / columns) * 168,
    })),
  );
  return sharp({
    create: {
      width: columns * 192 + 8,
      height: rows * 168 + 8,
      channels: 3,
      background: { r: 236, g: 239, b: 242 },
    },
  })
    .composite(cells)
    .jpeg({ quality: 80, mozjpeg: false })
    .toBuffer();
}

interface Sample {
  wall: number[];
  cpu: number[];
}

async function measure(step: () => Promise<unknown>, into: Sample): Promise<void> {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await step();
  into.wall.push(Number(process.hrtime.bigint() - t0) / 1e6);
  const c = process.cpuUsage(c0);
  into.cpu.push((c.user + c.system) / 1000);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const round = (x: number) => Math.round(x * 10) / 10;

async function compare(
  label: string,
  before: () => Promise<unknown>,
  after: () => Promise<unknown>,
): Promise<Record<string, unknown>> {
  const b: Sample = { wall: [], cpu: [] };
  const a: Sample = { wall: [], cpu: [] };
  await before();
  await after();
  for (let i = 0; i < RUNS; i++) {
    await measure(before, b);
    await measure(after, a);
  }
  const row = {
    step: label,
    beforeWallMs: round(median(b.wall)),
    afterWallMs: round(median(a.wall)),
    beforeCpuMs: round(median(b.cpu)),
    afterCpuMs: round(median(a.cpu)),
    cpuRatio: round(median(b.cpu) / Math.max(0.1, median(a.cpu))),
  };
  process.stdout.write(`${JSON.stringify(row)}\n`);
  return row;
}

async function main(): Promise<void> {
  const raw = Buffer.alloc(1600 * 1200 * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 7919) % 251;
  const photo = await sharp(raw, { raw: { width: 1600, height: 1200, channels: 3 } })
    .jpeg()
    .toBuffer();
  const prepared = await prepareBase(photo);
  const stickers: Array<{ order: number; png: Buffer }> = [];
  for (let i = 0; i < 40; i++) {
    const style = STYLE_PRESETS[STICKER_LOOKS[i % STICKER_LOOKS.length]!];
    stickers.push({
      order: i + 1,
      png: await renderStickerFromPrepared(prepared, TEXTS[i % TEXTS.length]!, { style }),
    });
  }
  const style = STYLE_PRESETS.circle;
  const main = await renderMainImage(prepared, TEXTS[0], { style });
  const tab = await renderTabImage(prepared, { style });
  const set = { stickers, main, tab };
  const pngs = stickers.map((s) => s.png);
  process.stdout.write(`load average ${os.loadavg().map(round).join(' ')}\n`);
  await compare(
    'zip (40 stickers, main, tab)',
    () => zipBefore(set),
    () => buildStampZip(set),
  );
  await compare(
    'preview sheet (40 stickers)',
    () => sheetBefore(pngs),
    () => buildPreviewSheet(pngs),
  );
  if (process.env.BENCH_ASSEMBLY_S3 === '1') await stickersFromS3(stickers);
}

/** Median time to read a set's 40 stickers back from MinIO in parallel (what the copy saves). */
async function stickersFromS3(stickers: ReadonlyArray<{ order: number; png: Buffer }>) {
  const stack = await startStack('test', { services: ['minio'], log: () => undefined });
  const s3 = createS3({
    S3_ENDPOINT: stack.env.S3_ENDPOINT,
    S3_REGION: stack.env.S3_REGION ?? 'us-east-1',
    S3_ACCESS_KEY_ID: stack.env.S3_ACCESS_KEY_ID,
    S3_SECRET_ACCESS_KEY: stack.env.S3_SECRET_ACCESS_KEY,
  });
  try {
    const bucket = stack.env.S3_BUCKET ?? 'line-ai-stamps';
    await ensureBucket(s3, bucket);
    const objects = createStampObjects(s3, bucket);
    const key = (order: number) => `bench/${stickerFileName(order)}`;
    await Promise.all(stickers.map((s) => objects.put(key(s.order), s.png, 'image/png')));
    const sample: Sample = { wall: [], cpu: [] };
    for (let i = 0; i <= RUNS; i++)
      await measure(() => Promise.all(stickers.map((s) => objects.get(key(s.order)))), sample);
    const row = {
      step: "read 40 stickers back from MinIO (now the renderer's copy)",
      wallMs: round(median(sample.wall.slice(1))),
      cpuMsThisProcess: round(median(sample.cpu.slice(1))),
    };
    process.stdout.write(`${JSON.stringify(row)}\n`);
  } finally {
    s3.destroy();
    await stack.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
