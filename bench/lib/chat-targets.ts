import type { CpuUsage } from './cpu';
import type { PhaseVerification } from './chat-verify';
import type { LatencySummary } from './stats';

/**
 * Issue #12's targets for bench:chat, each a ratio of the Temporal path to the plain handler
 * measured in the same run (or an absolute bound), computed from the measured phases.
 */

export interface MeasuredPhase {
  scenario: string;
  path: 'temporal' | 'plain';
  ok: number;
  turnsPerSecond: number;
  latency: LatencySummary;
  ack: LatencySummary;
  cpu: CpuUsage;
}

export interface Target {
  target: string;
  value: number | null;
  /** The plain handler's figure the ratio is taken against, when there is one. */
  plain?: number | null;
  ok: boolean | null;
}

/** The processes that do a path's work: everything but the load generator and other users. */
const WORKING: Record<MeasuredPhase['path'], readonly string[]> = {
  temporal: ['api', 'worker', 'temporal server', 'postgres'],
  plain: ['plain', 'postgres'],
};

/** CPU milliseconds per answered turn over the path's processes (API, worker, server, DB). */
export function cpuMsPerTurn(phase: MeasuredPhase): number | null {
  if (phase.ok === 0) return null;
  const cores = WORKING[phase.path].reduce((sum, k) => sum + (phase.cpu.cores[k] ?? 0), 0);
  return Math.round(((cores * phase.cpu.seconds * 1000) / phase.ok) * 10) / 10;
}

const ratio = (a: number | null | undefined, b: number | null | undefined) =>
  a == null || b == null || b === 0 ? null : Math.round((a / b) * 1000) / 1000;

export function chatTargets(
  measured: readonly MeasuredPhase[],
  verifications: readonly PhaseVerification[],
  rate: number,
): Target[] {
  const get = (scenario: string, path: MeasuredPhase['path']) =>
    measured.find((p) => p.scenario === scenario && p.path === path);
  const pair = (scenario: string) => ({ t: get(scenario, 'temporal'), b: get(scenario, 'plain') });
  const atMost = (v: number | null, bound: number) => (v === null ? null : v <= bound);
  const atLeast = (v: number | null, bound: number) => (v === null ? null : v >= bound);

  const max = pair('max');
  const cpuT = max.t ? cpuMsPerTurn(max.t) : null;
  const cpuB = max.b ? cpuMsPerTurn(max.b) : null;
  const cpu = ratio(cpuT, cpuB);
  const throughput = ratio(max.t?.turnsPerSecond, max.b?.turnsPerSecond);
  const light = pair('light');
  const light2 = pair('light-2s');
  const r = pair('rate');
  const lightP50 = ratio(light.t?.latency.p50, light.b?.latency.p50);
  const light2P50 = ratio(light2.t?.latency.p50, light2.b?.latency.p50);
  const rateP99 = ratio(r.t?.latency.p99, r.b?.latency.p99);
  // At exactly `rate` webhooks/s (the ack scenario); else the rate scenario's, whose sends
  // slow down when every user is waiting for an answer.
  const ackPhase = get('ack', 'temporal') ?? r.t;
  const ackP99 = ackPhase?.ack.p99 ?? null;
  const sum = (f: (v: PhaseVerification) => number) => verifications.reduce((n, v) => n + f(v), 0);
  const books =
    sum((v) => v.discrepancies) + sum((v) => v.holdsLeft) + sum((v) => v.duplicateReplies);
  return [
    {
      target: 'CPU per answered turn, all processes (closed loop): Temporal ÷ plain ≤ 2.0',
      value: cpu,
      plain: cpuB,
      ok: atMost(cpu, 2.0),
    },
    {
      target: 'closed-loop throughput: Temporal ÷ plain ≥ 0.5',
      value: throughput,
      plain: max.b?.turnsPerSecond ?? null,
      ok: atLeast(throughput, 0.5),
    },
    {
      target: 'light-load p50 latency, model 300 ms: Temporal ÷ plain ≤ 1.10',
      value: lightP50,
      plain: light.b?.latency.p50 ?? null,
      ok: atMost(lightP50, 1.1),
    },
    {
      target: 'light-load p50 latency, model 2 s: Temporal ÷ plain ≤ 1.03',
      value: light2P50,
      plain: light2.b?.latency.p50 ?? null,
      ok: atMost(light2P50, 1.03),
    },
    {
      target: `webhook acknowledgement p99 at ${rate}/s ≤ 50 ms`,
      value: ackP99,
      plain: null,
      ok: atMost(ackP99, 50),
    },
    {
      target: `overload (${rate}/s offered): p99 latency Temporal ÷ plain ≤ 2.0`,
      value: rateP99,
      plain: r.b?.latency.p99 ?? null,
      ok: atMost(rateP99, 2.0),
    },
    {
      target: 'turns charged without their answer delivered (every scenario) = 0',
      value: sum((v) => v.chargedWithoutDelivery),
      ok: sum((v) => v.chargedWithoutDelivery) === 0,
    },
    {
      target: 'ledger discrepancies + holds left + duplicate replies (every scenario) = 0',
      value: books,
      ok: books === 0,
    },
  ];
}
