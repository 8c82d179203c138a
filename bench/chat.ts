import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type AppConfig } from '../config';
import { newPayloadKeyEntry } from '../config/payload-keys';
import { createLedger } from '../ledger';
import { createPrisma } from '../lib/db';
import { startStack } from '../scripts/infra';
import { startStandIns } from '../stand-ins';
import { cpuSnapshot, cpuUsage } from './lib/cpu';
import { environment, RESULTS_DIR, writeJson, type Row } from './lib/report';
import { readSteps } from './lib/step-log';
import { chatTargets, cpuMsPerTurn } from './lib/chat-targets';
import { deliveryIndex, verifyPhase, type PhaseVerification } from './lib/chat-verify';
import { breakdown, plainSteps, type Breakdown } from './lib/chat-breakdown';
import { printChatReport } from './lib/chat-report';
import { cleanup, cleanups, startSut, type Sut } from './lib/chat-processes';
import { createUsers } from './lib/chat-load';
import type { LineRecord } from '../stand-ins';
import {
  num,
  USERS,
  TURNS,
  MAX_TURNS,
  SECONDS,
  RATE,
  LIGHT_RATE,
  LIGHT_TURNS,
  LIGHT_USERS,
  WARMUP,
  LLM_MS,
  WORKERS,
  GRANT,
  SCENARIO_NAMES,
  PATHS,
  DB_POOL,
  WORKER_OPTIONS,
  CPU_PROF_DIR,
  LABEL,
  EXTERNAL_TEMPORAL,
  type PathName,
  type Scenario,
  ALL_SCENARIOS,
  log,
  round,
  sleep,
  type PhaseResult,
  waitForQuiet,
} from './lib/chat-settings';
import { profileReport } from './lib/chat-profile';
import { bundleProductWorkflows } from '../workers/workflow-bundle';
import { runPhase, type Env } from './lib/chat-phase';

/**
 * Chat benchmark: a chat turn through Temporal vs the same turn in a plain Express handler.
 *
 *   node --import tsx bench/chat.ts
 *
 * Self-contained: a private stack (Temporal dev server, MinIO, stripe-mock on free ports and a
 * fresh migrated PostgreSQL database: startStack('test'), as the jest global setup does), the
 * LINE and LLM stand-ins in this process (the model answers after a FIXED 300 ms), and the
 * systems under test as their own processes (bench/lib/chat-sut.ts):
 *
 *   temporal  the product: api/app.ts (signed webhook → durable inbox row; the inbox relay
 *             signals the user's session) and chat-queue worker process(es): the session runs
 *             each turn as its child workflow chat-<webhookEventId> (workflows/chat-turn.ts)
 *   plain     bench/lib/plain-chat-handler.ts: the same turn inline in the request handler
 *
 * A turn is timed from the webhook POST to the reply arriving at the LINE stand-in. Load:
 * many users, each with at most one turn in flight (the product serializes a user's turns;
 * the plain handler would not), in five shapes:
 *
 *   light     open loop, BENCH_LIGHT_RATE (5) turns/s over BENCH_LIGHT_USERS (20) users, ≤
 *             BENCH_LIGHT_TURNS (100) turns: bare latency (most turns find their session running)
 *   light-2s  the same with the model at BENCH_LLM_SLOW_MS (2000): a realistic answer time
 *   rate      open loop, BENCH_RATE (50) turns/s over BENCH_USERS (100) users: latency and the
 *             webhook's acknowledgement at the target rate (overload on a small machine);
 *             ≤ BENCH_TURNS (600) turns or BENCH_SECONDS (60) s
 *   ack       BENCH_ACK_USERS (500) users send one message each at BENCH_RATE: the webhook's own
 *             acknowledgement time at exactly that rate (no user waits for an answer first)
 *   max       closed loop, BENCH_USERS users sending as soon as they have their answer:
 *             sustained throughput; ≤ BENCH_MAX_TURNS (1000) turns or BENCH_SECONDS s
 *
 * Each path gets a warm-up (BENCH_WARMUP turns, own users) and fresh users per scenario.
 * After every scenario (bench/lib/chat-verify.ts): every user's ledger replays to its lots, no
 * hold is left, the points charged equal the priced usage, no reply token was answered twice,
 * and no turn is charged without its answer delivered (or its charge put back); the Temporal turns are broken
 * down step by step from the worker's activity timings (where the time goes, bench/lib/
 * step-log.ts). Output: a table on stdout,
 * JSON in bench/results/chat.json (BENCH_JSON=path to write elsewhere).
 *
 * Turns per second are sustained rates: replies arriving between the first reply and the last
 * message sent (no ramp-up, no drain). The machine may be shared: before each phase the bench
 * waits (≤ BENCH_QUIET_WAIT s, 120) for it to be below BENCH_QUIET_BUSY (0.25) busy, and the
 * CPU table shows what other processes used during each phase ("others").
 *
 * Knobs for experiments: BENCH_SCENARIOS=light,rate,max  BENCH_PATHS=temporal,plain
 * BENCH_WORKERS (worker processes, 1)  BENCH_DB_POOL (connections per process, pg default 10)
 * BENCH_WORKER_OPTIONS (JSON WorkerOptions for the workers)  BENCH_LLM_MS (300)
 * BENCH_TEMPORAL_STORE=memory (the dev server without its SQLite file)
 * BENCH_TEMPORAL_ADDRESS=host:port [BENCH_TEMPORAL_PID] (a Temporal server started by hand,
 * e.g. with other --dynamic-config-value / --sqlite-pragma flags)
 * BENCH_CPU_PROF=dir (node --cpu-prof of the worker and the plain handler; summarised at the end)
 * BENCH_LABEL (names the run in the JSON)  BENCH_DRAIN_SECONDS (5: stragglers before the checks)
 *
 * Targets, results and where a turn's CPU goes: bench/README.md.
 */

// ---------------------------------------------------------------------------------------------
// Phases

// ---------------------------------------------------------------------------------------------

/** Everything the LINE stand-in received before each reset (the bench's delivery record). */
const deliveries: LineRecord[] = [];

async function main(): Promise<void> {
  const started = Date.now();
  const loadBefore = os.loadavg().map((l) => round(l));
  const scenarios = ALL_SCENARIOS.filter((s) => SCENARIO_NAMES.includes(s.name));
  if (scenarios.length === 0) throw new Error(`no scenario in BENCH_SCENARIOS=${SCENARIO_NAMES}`);
  for (const p of PATHS)
    if (p !== 'temporal' && p !== 'plain') throw new Error(`unknown path ${p} in BENCH_PATHS`);

  log('starting the stack (Temporal, MinIO, stripe-mock, fresh database) and bundling ...');
  const [stack, bundle] = await Promise.all([
    startStack('test', {
      log: (l) => log(`[stack] ${l}`),
      temporalStore: process.env.BENCH_TEMPORAL_STORE === 'memory' ? 'memory' : 'file',
      // Experiments against a Temporal server started by hand (e.g. other dynamic config).
      ...(EXTERNAL_TEMPORAL ? { services: ['minio', 'stripe-mock'] as const } : {}),
    }),
    bundleProductWorkflows(),
  ]);
  cleanups.push(async () => {
    log('stopping the stack');
    await stack.stop();
  });
  const bundlePath = path.join(stack.stateDir, 'workflow-bundle.js');
  fs.writeFileSync(bundlePath, bundle.code);

  const secret = (bytes: number) => randomBytes(bytes).toString('base64url');
  const secrets = {
    LINE_CHANNEL_SECRET: randomBytes(16).toString('hex'),
    LINE_CHANNEL_ACCESS_TOKEN: secret(48),
    LINE_LOGIN_CHANNEL_SECRET: randomBytes(16).toString('hex'),
    OPENAI_API_KEY: `sk-test-${secret(24)}`,
    STRIPE_SECRET_KEY: `sk_test_${randomBytes(24).toString('hex')}`,
    STRIPE_WEBHOOK_SECRET: `whsec_${secret(24)}`,
    ADMIN_TOKEN: randomBytes(24).toString('hex'),
    PAYLOAD_KEYS: newPayloadKeyEntry('bench-1', randomBytes),
  };
  const standIns = await startStandIns({
    line: { channelAccessToken: secrets.LINE_CHANNEL_ACCESS_TOKEN },
    llm: { apiKey: secrets.OPENAI_API_KEY, latencyMs: LLM_MS },
  });
  cleanups.push(() => standIns.close());

  const stepLog = path.join(stack.stateDir, 'chat-steps.jsonl');
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    ...stack.env,
    ...(EXTERNAL_TEMPORAL
      ? { TEMPORAL_ADDRESS: EXTERNAL_TEMPORAL, TEMPORAL_NAMESPACE: 'default' }
      : {}),
    ...secrets,
    ...standIns.env,
    WORKFLOW_BUNDLE_PATH: bundlePath,
    TASK_QUEUE_PREFIX: `bench-chat-${randomBytes(4).toString('hex')}-`,
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    BENCH_DB_POOL: DB_POOL,
    BENCH_WORKER_OPTIONS: WORKER_OPTIONS,
    BENCH_STEP_LOG: stepLog,
  };
  const config: AppConfig = loadConfig(childEnv);
  const db = createPrisma(config.env.DATABASE_URL);
  cleanups.push(() => db.$disconnect());
  const ledger = createLedger({ db, catalog: config.catalog, timeZone: config.env.TIME_ZONE });

  log(`starting the systems under test (${WORKERS} worker process(es)) ...`);
  const urls = {} as Record<PathName, string>;
  const suts: Record<string, Sut[]> = { api: [], worker: [], plain: [] };
  if (PATHS.includes('temporal')) {
    suts.worker = await Promise.all(
      Array.from({ length: WORKERS }, () => startSut('worker', childEnv)),
    );
    suts.api = [await startSut('api', childEnv)];
    urls.temporal = `http://127.0.0.1:${suts.api[0]?.port}`;
  }
  if (PATHS.includes('plain')) {
    suts.plain = [await startSut('plain', childEnv)];
    urls.plain = `http://127.0.0.1:${suts.plain[0]?.port}`;
  }
  const temporalPid = EXTERNAL_TEMPORAL
    ? num('BENCH_TEMPORAL_PID', 0) || null
    : (stack.services.find((s) => s.name === 'temporal')?.pid ?? null);
  const pids = async (): Promise<Record<string, number[]>> => {
    const rows = await db.$queryRaw<Array<{ pid: number }>>`
      SELECT pid FROM pg_stat_activity WHERE datname = current_database()`;
    return {
      bench: [process.pid],
      'temporal server': temporalPid ? [temporalPid] : [],
      postgres: rows.map((r) => Number(r.pid)),
      api: suts.api?.map((s) => s.pid) ?? [],
      worker: suts.worker?.map((s) => s.pid) ?? [],
      plain: suts.plain?.map((s) => s.pid) ?? [],
    };
  };
  const e: Env = {
    deliveries,
    db,
    ledger,
    driver: { standIns, channelSecret: secrets.LINE_CHANNEL_SECRET },
    urls,
    pids,
  };

  const phases: PhaseResult[] = [];
  for (const p of PATHS) {
    const warm: Scenario = {
      name: 'warm-up',
      description: 'closed loop',
      kind: 'closed',
      users: 20,
      turns: WARMUP,
      seconds: SECONDS,
    };
    if (WARMUP === 0) continue;
    log(`warm-up: ${p}, ${WARMUP} turns ...`);
    const users = await createUsers(db, ledger, warm.users, `warm-${p}`, GRANT);
    phases.push(await runPhase(e, p, warm, users, true));
  }
  // What the processes burn with no traffic at all (pollers, timers, the server's own loops).
  await waitForQuiet();
  const idleBefore = cpuSnapshot(Object.values(await pids()).flat());
  await sleep(5000);
  const idleGroups = await pids();
  const idle = cpuUsage(idleBefore, cpuSnapshot(Object.values(idleGroups).flat()), idleGroups);
  log(`idle: ${JSON.stringify(idle.cores)}`);

  for (const [i, s] of scenarios.entries()) {
    // Alternate which path goes first, so neither always runs on the emptier database.
    const order = i % 2 === 0 ? PATHS : [...PATHS].reverse();
    for (const p of order) {
      const users = await createUsers(db, ledger, s.users, `${s.name}-${p}`, GRANT);
      log(`${s.name} (${s.description}): ${p} ...`);
      const r = await runPhase(e, p, s, users, false);
      log(
        `  ${r.ok}/${r.turns} ok, ${r.turnsPerSecond} turns/s, p50 ${r.latency.p50} ms, ` +
          `p99 ${r.latency.p99} ms, machine CPU ${Math.round((r.cpu.machineBusy ?? NaN) * 100)}%`,
      );
      phases.push(r);
      await sleep(1000);
    }
  }

  // Stragglers (turns past the bench's timeout) may still settle or refund: let them land.
  await sleep(num('BENCH_DRAIN_SECONDS', 5) * 1000);
  log('verifying the ledger and the deliveries, scenario by scenario ...');
  const delivered = deliveryIndex([...deliveries, ...e.driver.standIns.line.received()]);
  const verifications: PhaseVerification[] = [];
  for (const p of phases)
    verifications.push(
      await verifyPhase(
        db,
        ledger,
        { scenario: p.scenario, path: p.path, grant: GRANT, users: p.users, samples: p.samples },
        delivered,
      ),
    );

  log("reading the worker's step log ...");
  await sleep(1500); // the worker flushes it every second
  const steps = readSteps(stepLog);
  const breakdowns: Breakdown[] = [];
  for (const p of phases.filter((x) => x.path === 'temporal' && !x.warmup)) {
    const b = breakdown(p, steps);
    if (b) breakdowns.push(b);
  }
  const plainBreakdowns = phases
    .filter((x) => x.path === 'plain' && !x.warmup)
    .map((p) => ({ scenario: p.scenario, steps: plainSteps(p) }));

  // ------------------------------------------------------------------ report
  const measured = phases.filter((p) => !p.warmup);
  const rows: Row[] = measured.map((r) => ({
    scenario: `${r.scenario} (${scenarios.find((s) => s.name === r.scenario)?.description})`,
    path: r.path,
    'ok/turns': `${r.ok}/${r.turns}`,
    s: r.seconds,
    'turns/s': r.turnsPerSecond,
    'p50 ms': r.latency.p50,
    'p90 ms': r.latency.p90,
    'p99 ms': r.latency.p99,
    'max ms': r.latency.max,
    '1st turn p50': r.latencyFirstTurn.p50,
    'ack p50': r.ack.p50,
    'ack p99': r.ack.p99,
    'CPU ms/turn': cpuMsPerTurn(r),
    late: r.late,
    'CPU busy': `${Math.round((r.cpu.machineBusy ?? NaN) * 100)}%`,
  }));
  const ratios = scenarios
    .map((s) => {
      const t = measured.find((p) => p.scenario === s.name && p.path === 'temporal');
      const b = measured.find((p) => p.scenario === s.name && p.path === 'plain');
      if (!t || !b) return null;
      return {
        scenario: s.name,
        p50: round(t.latency.p50 / b.latency.p50, 3),
        p90: round(t.latency.p90 / b.latency.p90, 3),
        p99: round(t.latency.p99 / b.latency.p99, 3),
        throughput: round(t.turnsPerSecond / b.turnsPerSecond, 3),
        extraP50Ms: round(t.latency.p50 - b.latency.p50, 1),
      };
    })
    .filter((r): r is NonNullable<typeof r> => r !== null);

  const targets = chatTargets(
    measured,
    verifications.filter((v) => v.scenario !== 'warm-up'),
    RATE,
  );

  const out = process.stdout;
  out.write(
    `\nChat turn, webhook POST → reply at the LINE stand-in (LLM fixed at ${LLM_MS} ms; ` +
      `${environment().cpus} cores, Node ${process.version}; ${WORKERS} worker process(es)` +
      `${DB_POOL ? `, pool ${DB_POOL}` : ''}${WORKER_OPTIONS ? `, worker options ${WORKER_OPTIONS}` : ''}` +
      `)\n\n`,
  );
  printChatReport(out, {
    rows,
    ratios,
    measured,
    idle,
    breakdowns,
    plainBreakdowns,
    targets,
    verifications,
  });
  let profiles = null;
  if (CPU_PROF_DIR) {
    // V8 writes a profile when its process exits.
    await Promise.all(
      Object.values(suts)
        .flat()
        .map((sut) => sut.stop()),
    );
    profiles = profileReport(out);
  }

  const data = {
    settings: {
      llmLatencyMs: LLM_MS,
      users: USERS,
      rate: RATE,
      lightRate: LIGHT_RATE,
      turns: TURNS,
      lightTurns: LIGHT_TURNS,
      lightUsers: LIGHT_USERS,
      maxTurns: MAX_TURNS,
      seconds: SECONDS,
      warmupTurns: WARMUP,
      workerProcesses: WORKERS,
      dbPool: DB_POOL ? Number(DB_POOL) : 'pg default (10)',
      workerOptions: WORKER_OPTIONS ? (JSON.parse(WORKER_OPTIONS) as unknown) : 'SDK defaults',
      paths: PATHS,
      scenarios,
      temporalServer: EXTERNAL_TEMPORAL
        ? `EXPERIMENT: external server at ${EXTERNAL_TEMPORAL} (${process.env.BENCH_TEMPORAL_NOTE ?? 'started by hand'})`
        : `temporal CLI dev server (start-dev, SQLite ${
            process.env.BENCH_TEMPORAL_STORE === 'memory' ? 'in memory' : 'file'
          }), from startStack("test")`,
      sdk: '@temporalio/* 1.24.0',
      processes:
        'stand-ins + load generator in the bench process; API, worker(s) and the plain handler each in their own process',
    },
    environment: environment(),
    results: measured.map(({ samples: _s, users: _u, ...r }) => r),
    warmup: phases.filter((p) => p.warmup).map(({ samples: _s, users: _u, ...r }) => r),
    ratios,
    targets,
    temporalBreakdown: breakdowns,
    plainSteps: plainBreakdowns,
    label: LABEL || undefined,
    load: { before: loadBefore, after: os.loadavg().map((l) => round(l)) },
    verifications,
    cpuMsPerTurn: measured.map((r) => ({
      scenario: r.scenario,
      path: r.path,
      ms: cpuMsPerTurn(r),
    })),
    cpuProfiles: profiles,
    idleCpu: idle,
    wallSeconds: Math.round((Date.now() - started) / 1000),
  };
  let file: string;
  if (process.env.BENCH_JSON) {
    file = path.resolve(process.env.BENCH_JSON);
    fs.writeFileSync(
      file,
      `${JSON.stringify({ benchmark: 'chat', measuredAt: new Date().toISOString(), environment: environment(), data }, null, 2)}\n`,
    );
  } else {
    file = writeJson('chat', data);
  }
  const shown = path.relative(path.resolve(RESULTS_DIR, '..', '..'), file);
  out.write(`results: ${shown.startsWith('..') ? file : shown}\n`);
  if (verifications.some((v) => v.discrepancies > 0) || measured.some((r) => r.failed > 0))
    process.exitCode = 1;
}

main()
  .catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  })
  .finally(async () => {
    await cleanup();
    process.exit(process.exitCode ?? 0);
  });
