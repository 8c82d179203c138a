import type { Ledger } from '../../ledger';
import type { Db } from '../../lib/db';
import type { LineRecord } from '../../stand-ins';
import { cpuSnapshot, cpuUsage, type CpuSnapshot } from './cpu';
import { summarize } from './stats';
import { closedLoop, openLoop, type BenchUser, type Driver, type Sample } from './chat-load';
import {
  LLM_MS,
  log,
  round,
  waitForQuiet,
  type PathName,
  type PhaseResult,
  type Scenario,
} from './chat-settings';

/** One phase of bench/chat.ts: a scenario on one path, with its CPU, latency and replies. */

export interface Env {
  /** Everything the LINE stand-in received before each reset (the bench's delivery record). */
  deliveries: LineRecord[];
  db: Db;
  ledger: Ledger;
  driver: Driver;
  urls: Record<PathName, string>;
  pids: () => Promise<Record<string, number[]>>;
}

export async function runPhase(
  e: Env,
  path: PathName,
  scenario: Scenario,
  users: BenchUser[],
  warmup: boolean,
): Promise<PhaseResult> {
  const { line, llm } = e.driver.standIns;
  // Nothing is in flight between phases: start each with empty stand-in records.
  e.deliveries.push(...line.received());
  line.reset();
  llm.reset();
  llm.setLatency(scenario.llmMs ?? LLM_MS);
  const quiet = await waitForQuiet();
  const pidsBefore = await e.pids();
  const before: CpuSnapshot = cpuSnapshot(Object.values(pidsBefore).flat());
  const t0 = performance.now();
  let samples: Sample[];
  let late = 0;
  if (scenario.kind === 'open') {
    const r = await openLoop(
      e.driver,
      e.urls[path],
      users,
      scenario.rate as number,
      scenario.turns,
      scenario.seconds,
    );
    samples = r.samples;
    late = r.late;
  } else {
    samples = await closedLoop(e.driver, e.urls[path], users, scenario.turns, scenario.seconds);
  }
  const t1 = performance.now();
  const pidsAfter = await e.pids();
  const groups: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(pidsBefore)) groups[k] = [...v];
  for (const [k, v] of Object.entries(pidsAfter))
    groups[k] = [...new Set([...(groups[k] ?? []), ...v])];
  const after = cpuSnapshot(Object.values(groups).flat());
  const cpu = cpuUsage(before, after, groups);
  if (cpu.machineBusy !== null) {
    const ours = Object.values(cpu.cores).reduce((a, b) => a + b, 0);
    cpu.cores.others = round(Math.max(0, cpu.machineBusy * cpu.machineCores - ours));
  }

  const ok = samples.filter((s) => s.ok);
  const tokens = new Map<string, number>();
  for (const r of line.received({ kind: 'reply' })) {
    tokens.set(r.replyToken ?? '', (tokens.get(r.replyToken ?? '') ?? 0) + 1);
  }
  const duplicateReplies = [...tokens.values()].reduce((n, c) => n + (c - 1), 0);
  const seconds = (t1 - t0) / 1000;
  // Sustained rate: replies arriving between the first reply and the last send (steady state:
  // no ramp-up before the first answer, no drain after the last message).
  const firstArrival = Math.min(...ok.map((s) => s.arrived));
  const lastSend = Math.max(...samples.map((s) => s.posted));
  const window = (lastSend - firstArrival) / 1000;
  const inWindow = ok.filter((s) => s.arrived >= firstArrival && s.arrived <= lastSend).length;
  const sustained = window >= 2 ? inWindow / window : ok.length / seconds;
  const errors = samples.filter((s) => !s.ok).map((s) => s.error);
  if (errors.length > 0)
    log(`${path}/${scenario.name}: ${errors.length} failed, e.g. ${errors[0]}`);
  return {
    scenario: scenario.name,
    path,
    warmup,
    turns: samples.length,
    ok: ok.length,
    failed: samples.length - ok.length,
    late,
    seconds: round(seconds),
    turnsPerSecond: round(sustained, 1),
    overallTurnsPerSecond: round(ok.length / seconds, 1),
    steadyWindowSeconds: round(window, 1),
    latency: summarize(ok.map((s) => s.latencyMs)),
    latencyFirstTurn: summarize(ok.filter((s) => s.first).map((s) => s.latencyMs)),
    latencyLaterTurns: summarize(ok.filter((s) => !s.first).map((s) => s.latencyMs)),
    ack: summarize(samples.filter((s) => s.status === 200).map((s) => s.ackMs)),
    llmCalls: llm.requests().length,
    duplicateReplies,
    cpu,
    busyBefore: quiet,
    samples,
    users,
  };
}
