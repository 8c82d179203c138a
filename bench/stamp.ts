import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import sharp from 'sharp';
import { storeStampJob } from '../services/stamp-store';
import { createStampObjects } from '../services/stamp-objects';
import { loadConfig } from '../config';
import { newPayloadKeyEntry } from '../config/payload-keys';
import { taskQueue, TaskQueues, workSearchAttributes } from '../config/task-queues';
import { stampJobWorkflowId } from '../domain/stamp-keys';
import { connectTemporal } from '../lib/temporal';
import { STICKER_LOOKS, STYLE_PRESETS } from '../domain/sticker-style';
import { prepareBase, renderStickerFromPrepared } from '../lib/stickers/render';
import { startStack } from '../scripts/infra';
import { connectWorkerTemporal } from '../workers/connection';
import { createQueueWorker } from '../workers/create-worker';
import { closeWorkerDeps, createWorkerDeps } from '../workers/deps';
import type { stampJob } from '../workflows/stamp-job';
import { printTable, writeJson, type Row } from './lib/report';
import { summarize, msSince, type LatencySummary } from './lib/stats';
import { bundleProductWorkflows } from '../workers/workflow-bundle';

/**
 * Stamp benchmark.
 *
 *   node --import tsx bench/stamp.ts
 *
 * 1. Render only, one process, one sticker at a time: stickers per second from a prepared
 *    12-megapixel photo, the typical messages of a set (2–16 characters, some with emoji), the
 *    four looks in turn (card, circle, bubble, bold); once with libvips' default threads, once
 *    with `sharp.concurrency(1)` (strictly one core).
 * 2. A 40-sticker set from queued to stored, through the real path: a private stack (Temporal,
 *    MinIO, a fresh PostgreSQL database: `startStack('test')`, as the jest global setup does),
 *    a stamp worker in this process, the stampJob workflow (ticket, EXIF, render, main, tab,
 *    ZIP, preview, rows). Timed from workflow start to its result (everything stored and
 *    recorded; LINE delivery off). Peak RSS is this process's (worker included).
 *
 * Targets: ≥ 30 stickers/s per core; a 40-sticker set in < 2 s.
 * BENCH_RENDER_COUNT (default 200) and BENCH_SET_RUNS (default 5) change the sample sizes.
 * The assembly's CPU steps alone, against what they replaced and without the stack (usable on
 * a busy machine): bench/stamp-assembly.ts.
 */

const RENDER_COUNT = Number(process.env.BENCH_RENDER_COUNT ?? 200);
const SET_RUNS = Number(process.env.BENCH_SET_RUNS ?? 5);
const SET_SIZE = 40;

const MESSAGES = [
  'ありがとう',
  'おはよう！',
  'おつかれさまでした',
  'よろしくお願いします',
  'OK!',
  '了解です',
  'ごめんね',
  'すごい！',
  'おやすみなさい',
  'いってきます',
  'ただいま〜',
  'さすが！',
  'がんばって！',
  'それな',
  '今から帰るね',
  '本当にありがとうございます',
  'やったね🎉',
];

/** Sticker i of the render benchmark is drawn in look i mod 4. */
const styleFor = (i: number) => STYLE_PRESETS[STICKER_LOOKS[i % STICKER_LOOKS.length] ?? 'card'];

/** A noisy 4000×3000 JPEG (a phone photo's size), so decoding costs what it really costs. */
async function photo(width = 4000, height = 3000): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  let seed = 7;
  for (let i = 0; i < raw.length; i += 3) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const x = (i / 3) % width;
    raw[i] = (x * 255) / width + (seed % 16);
    raw[i + 1] = 120 + (seed % 32);
    raw[i + 2] = 200 - (seed % 48);
  }
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 88 })
    .withMetadata({ orientation: 6 })
    .toBuffer();
}

function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

interface RenderResult {
  stickers: number;
  seconds: number;
  stickersPerSecond: number;
  prepareMs: number;
  perSticker: LatencySummary;
}

async function benchRender(base: Buffer): Promise<RenderResult> {
  const t0 = process.hrtime.bigint();
  const prepared = await prepareBase(base);
  const prepareMs = msSince(t0);
  // Warm-up: font loading, first Pango layout, photo layers.
  for (let i = 0; i < 8; i++) {
    await renderStickerFromPrepared(prepared, MESSAGES[i] as string, { style: styleFor(i) });
  }
  const samples: number[] = [];
  const start = process.hrtime.bigint();
  for (let i = 0; i < RENDER_COUNT; i++) {
    const s = process.hrtime.bigint();
    await renderStickerFromPrepared(prepared, MESSAGES[i % MESSAGES.length] as string, {
      style: styleFor(i),
    });
    samples.push(msSince(s));
  }
  const seconds = msSince(start) / 1000;
  return {
    stickers: RENDER_COUNT,
    seconds: Math.round(seconds * 100) / 100,
    stickersPerSecond: Math.round((RENDER_COUNT / seconds) * 10) / 10,
    prepareMs: Math.round(prepareMs),
    perSticker: summarize(samples),
  };
}

interface SetResult {
  runs: number;
  stickers: number;
  wallMs: LatencySummary;
  samplesMs: number[];
  /** p50 per activity type, first scheduled → last completed. */
  phaseMs: Record<string, number>;
}

async function benchSets(base: Buffer): Promise<SetResult> {
  const log = (line: string) => process.stderr.write(`[stack] ${line}\n`);
  const [stack, bundle] = await Promise.all([
    startStack('test', { log, services: ['temporal', 'minio'] }),
    bundleProductWorkflows(),
  ]);
  const bundlePath = path.join(stack.stateDir, 'workflow-bundle.js');
  fs.writeFileSync(bundlePath, bundle.code);
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const secret = () => randomBytes(24).toString('hex');
  const config = loadConfig({
    ...process.env,
    ...stack.env,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    TASK_QUEUE_PREFIX: `bench-${randomUUID().slice(0, 8)}-`,
    WORKFLOW_BUNDLE_PATH: bundlePath,
    LINE_CHANNEL_SECRET: secret(),
    LINE_CHANNEL_ACCESS_TOKEN: secret(),
    LINE_LOGIN_CHANNEL_SECRET: secret(),
    OPENAI_API_KEY: secret(),
    STRIPE_SECRET_KEY: `sk_test_${secret()}`,
    STRIPE_WEBHOOK_SECRET: `whsec_${secret()}`,
    ADMIN_TOKEN: secret(),
    PAYLOAD_KEYS: newPayloadKeyEntry('bench-1', randomBytes),
  });
  const deps = createWorkerDeps(config);
  const connection = await connectWorkerTemporal(config.env);
  const worker = await createQueueWorker(TaskQueues.stamp, connection, deps);
  const running = worker.run();
  const client = await connectTemporal(config.env);
  const clientConnection = client.connection;
  const objects = createStampObjects(deps.s3, config.env.S3_BUCKET);
  const samples: number[] = [];
  const phases: Array<Record<string, number>> = [];
  try {
    const user = await deps.db.user.create({ data: { lineUserId: `Ubench${randomUUID()}` } });
    await deps.db.lineStampTicket.createMany({
      data: Array.from({ length: SET_RUNS + 1 }, () => ({ userId: user.id, sourceRef: 'bench' })),
    });
    const messages = Array.from(
      { length: SET_SIZE },
      (_, i) => MESSAGES[i % MESSAGES.length] as string,
    );
    // One warm-up set (workflow code, font, connections), then the measured runs.
    for (let run = 0; run <= SET_RUNS; run++) {
      const queueId = randomUUID();
      await storeStampJob(deps.db, objects, {
        queueId,
        userId: user.id,
        image: base,
        format: 'jpeg',
        messages,
        source: 'http',
      });
      const t0 = process.hrtime.bigint();
      const handle = await client.workflow.start<typeof stampJob>('stampJob', {
        workflowId: stampJobWorkflowId(queueId),
        taskQueue: taskQueue(config.env.TASK_QUEUE_PREFIX, TaskQueues.stamp),
        args: [{ queueId, lineUserId: user.lineUserId, deliver: 'none' }],
        typedSearchAttributes: workSearchAttributes(user.lineUserId, 'stamp'),
      });
      const result = await handle.result();
      const ms = msSince(t0);
      if (run > 0) phases.push(await phaseSpans(handle));
      if (result.status !== 'completed' || result.stickers !== SET_SIZE) {
        throw new Error(`set ${run} did not complete: ${JSON.stringify(result)}`);
      }
      if (run > 0) samples.push(Math.round(ms));
      process.stderr.write(`set ${run === 0 ? 'warm-up' : run}: ${Math.round(ms)} ms\n`);
    }
  } finally {
    worker.shutdown();
    await running;
    await connection.close();
    await clientConnection.close();
    await closeWorkerDeps(deps);
    await stack.stop();
  }
  const phaseMs: Record<string, number> = {};
  for (const name of Object.keys(phases[0] ?? {})) {
    phaseMs[name] = summarize(phases.map((p) => p[name] ?? 0)).p50;
  }
  return {
    runs: samples.length,
    stickers: SET_SIZE,
    wallMs: summarize(samples),
    samplesMs: samples,
    phaseMs,
  };
}

/** Per activity type: first scheduled → last completed, in ms (from the workflow history). */
async function phaseSpans(handle: WorkflowHandle): Promise<Record<string, number>> {
  const history = await handle.fetchHistory();
  const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
    t ? Number(t.seconds) * 1000 + (t.nanos ?? 0) / 1e6 : 0;
  const scheduled = new Map<string, { type: string; at: number }>();
  const spans: Record<string, { start: number; end: number }> = {};
  for (const e of history.events ?? []) {
    const s = e.activityTaskScheduledEventAttributes;
    if (s)
      scheduled.set(String(e.eventId), { type: s.activityType?.name ?? '?', at: ms(e.eventTime) });
    const c = e.activityTaskCompletedEventAttributes;
    if (c) {
      const from = scheduled.get(String(c.scheduledEventId));
      if (!from) continue;
      const span = (spans[from.type] ??= { start: from.at, end: 0 });
      span.start = Math.min(span.start, from.at);
      span.end = Math.max(span.end, ms(e.eventTime));
    }
  }
  return Object.fromEntries(
    Object.entries(spans).map(([type, s]) => [type, Math.round(s.end - s.start)]),
  );
}

async function main(): Promise<void> {
  const base = await photo();
  process.stderr.write('render only ...\n');
  const render = await benchRender(base);
  // Strictly one core: libvips may not spread a single operation over several threads.
  const defaultConcurrency = sharp.concurrency();
  sharp.concurrency(1);
  const renderOneCore = await benchRender(base);
  sharp.concurrency(defaultConcurrency);
  const rssAfterRender = peakRssMb();
  process.stderr.write('40-sticker sets through Temporal + MinIO + PostgreSQL ...\n');
  const sets = await benchSets(base);
  const rss = peakRssMb();

  const rows: Row[] = [
    {
      measurement: `render only, 4 looks, 1 process, sequential (${render.stickers} stickers)`,
      value: render.stickersPerSecond,
      unit: 'stickers/s',
      target: '≥ 30',
      ok: render.stickersPerSecond >= 30,
      detail: `p50 ${render.perSticker.p50} ms, p99 ${render.perSticker.p99} ms; prepare ${render.prepareMs} ms`,
    },
    {
      measurement: 'render only, libvips limited to 1 thread (per core)',
      value: renderOneCore.stickersPerSecond,
      unit: 'stickers/s',
      target: '≥ 30',
      ok: renderOneCore.stickersPerSecond >= 30,
      detail: `p50 ${renderOneCore.perSticker.p50} ms, p99 ${renderOneCore.perSticker.p99} ms`,
    },
    {
      measurement: `40-sticker set, queued → stored (p50 of ${sets.runs})`,
      value: sets.wallMs.p50,
      unit: 'ms',
      target: '< 2000',
      ok: sets.wallMs.p50 < 2000,
      detail: `min ${Math.min(...sets.samplesMs)}, max ${sets.wallMs.max} ms`,
    },
    ...Object.entries(sets.phaseMs).map(([name, ms]) => ({
      measurement: `  of which ${name}`,
      value: ms,
      unit: 'ms',
      target: '',
      ok: null,
      detail: 'p50, first scheduled → last completed',
    })),
    {
      measurement: 'peak RSS (render only / whole run incl. worker)',
      value: rss,
      unit: 'MB',
      target: '',
      ok: null,
      detail: `${rssAfterRender} MB after render-only`,
    },
  ];
  process.stdout.write('\nStamp benchmark\n\n');
  printTable(rows);
  const file = writeJson('stamp', {
    render,
    renderOneThread: renderOneCore,
    set: sets,
    peakRssMb: { renderOnly: rssAfterRender, total: rss },
    targets: { stickersPerSecond: 30, setWallMs: 2000 },
  });
  process.stdout.write(`\nwritten ${file}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
