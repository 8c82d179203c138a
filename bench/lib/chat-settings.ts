import path from 'node:path';
import { cpuSnapshot, cpuUsage, type CpuUsage } from './cpu';
import { envNumber } from './env';
import type { LatencySummary } from './stats';
import type { BenchUser, Sample } from './chat-load';

/**
 * bench/chat.ts's settings (the BENCH_* knobs, documented there), its scenarios, the shape of a
 * phase's result and the wait for a quiet machine before each phase.
 */

export const num = (name: string, fallback: number) => envNumber(name, fallback);

export const USERS = num('BENCH_USERS', 100);
export const TURNS = num('BENCH_TURNS', 600);
export const MAX_TURNS = num('BENCH_MAX_TURNS', 1000);
export const SECONDS = num('BENCH_SECONDS', 60);
export const RATE = num('BENCH_RATE', 50);
export const LIGHT_RATE = num('BENCH_LIGHT_RATE', 5);
export const LIGHT_TURNS = num('BENCH_LIGHT_TURNS', 100);
export const LIGHT_USERS = num('BENCH_LIGHT_USERS', 20);
export const WARMUP = num('BENCH_WARMUP', 100);
export const LLM_MS = num('BENCH_LLM_MS', 300);
/** The light-2s scenario's model: a realistic answer time. */
export const LLM_SLOW_MS = num('BENCH_LLM_SLOW_MS', 2000);
export const WORKERS = Math.max(1, num('BENCH_WORKERS', 1));
/** The ack scenario: one message per user, BENCH_ACK_USERS (500) of them at BENCH_RATE. */
export const ACK_USERS = num('BENCH_ACK_USERS', 500);
export const GRANT = 1_000_000_000;
export const SCENARIO_NAMES = (process.env.BENCH_SCENARIOS || 'light,light-2s,rate,ack,max').split(
  ',',
);
export const PATHS = (process.env.BENCH_PATHS || 'temporal,plain').split(',') as PathName[];
export const DB_POOL = process.env.BENCH_DB_POOL || '';
export const WORKER_OPTIONS = process.env.BENCH_WORKER_OPTIONS || '';
/** A directory for `node --cpu-prof` profiles of the worker and the plain handler (off when unset). */
export const CPU_PROF_DIR = process.env.BENCH_CPU_PROF
  ? path.resolve(process.env.BENCH_CPU_PROF)
  : '';
/** A name for this run in the JSON (e.g. which build of the product it measured). */
export const LABEL = process.env.BENCH_LABEL || '';
/** Experiment: a Temporal server started by hand (host:port; BENCH_TEMPORAL_PID for its CPU). */
export const EXTERNAL_TEMPORAL = process.env.BENCH_TEMPORAL_ADDRESS || '';

export type PathName = 'temporal' | 'plain';

export interface Scenario {
  name: string;
  description: string;
  kind: 'open' | 'closed';
  /** open loop: turns per second offered. */
  rate?: number;
  users: number;
  turns: number;
  seconds: number;
  /** The model stand-in's answer time in this scenario (default BENCH_LLM_MS). */
  llmMs?: number;
}

export const ALL_SCENARIOS: Scenario[] = [
  {
    name: 'light',
    description: `open loop ${LIGHT_RATE}/s`,
    kind: 'open',
    rate: LIGHT_RATE,
    users: LIGHT_USERS,
    turns: LIGHT_TURNS,
    seconds: SECONDS,
  },
  {
    name: 'light-2s',
    description: `open loop ${LIGHT_RATE}/s, model ${LLM_SLOW_MS} ms`,
    kind: 'open',
    rate: LIGHT_RATE,
    users: LIGHT_USERS,
    turns: LIGHT_TURNS,
    seconds: SECONDS,
    llmMs: LLM_SLOW_MS,
  },
  {
    name: 'rate',
    description: `open loop ${RATE}/s`,
    kind: 'open',
    rate: RATE,
    users: USERS,
    turns: TURNS,
    seconds: SECONDS,
  },
  {
    // Enough users that none waits for its answer before its next message: the webhook is
    // offered exactly RATE events/s, and its own response time is what counts here.
    name: 'ack',
    description: `webhooks at ${RATE}/s, ${ACK_USERS} users`,
    kind: 'open',
    rate: RATE,
    users: ACK_USERS,
    turns: ACK_USERS,
    seconds: SECONDS,
  },
  {
    name: 'max',
    description: `closed loop, ${USERS} users`,
    kind: 'closed',
    users: USERS,
    turns: MAX_TURNS,
    seconds: SECONDS,
  },
];

export const log = (line: string) => process.stderr.write(`[bench:chat] ${line}\n`);
export const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface PhaseResult {
  scenario: string;
  path: PathName;
  warmup: boolean;
  turns: number;
  ok: number;
  failed: number;
  late: number;
  seconds: number;
  /** Sustained: replies per second between the first reply and the last send. */
  turnsPerSecond: number;
  /** All answered turns / the whole phase (ramp-up and drain included). */
  overallTurnsPerSecond: number;
  steadyWindowSeconds: number;
  latency: LatencySummary;
  latencyFirstTurn: LatencySummary;
  latencyLaterTurns: LatencySummary;
  ack: LatencySummary;
  llmCalls: number;
  duplicateReplies: number;
  cpu: CpuUsage;
  /** Machine busy fraction (all cores) just before the phase started. */
  busyBefore: number | null;
  samples: Sample[];
  users: BenchUser[];
}

/**
 * The machine may be shared (other test runs, compilers): before a phase, wait (up to
 * BENCH_QUIET_WAIT s, default 120) until the whole machine is below BENCH_QUIET_BUSY (default
 * 0.25) busy over one second, so both paths start from the same idle machine. The level seen
 * is reported with the phase; others' CPU during the phase is in its CPU figures.
 */
export async function waitForQuiet(): Promise<number | null> {
  const limit = num('BENCH_QUIET_BUSY', 0.25);
  const deadline = performance.now() + num('BENCH_QUIET_WAIT', 120) * 1000;
  let warned = false;
  for (;;) {
    const a = cpuSnapshot([]);
    await sleep(1000);
    const busy = cpuUsage(a, cpuSnapshot([]), {}).machineBusy;
    if (busy === null || busy <= limit || performance.now() > deadline) {
      if (warned) log(`  machine at ${Math.round((busy ?? 0) * 100)}% busy; going ahead`);
      return busy;
    }
    if (!warned) log(`  machine ${Math.round(busy * 100)}% busy (others); waiting for quiet ...`);
    warned = true;
  }
}
