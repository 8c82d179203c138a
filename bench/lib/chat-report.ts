import type { CpuUsage } from './cpu';
import type { Breakdown } from './chat-breakdown';
import type { Target } from './chat-targets';
import type { PhaseVerification } from './chat-verify';
import { printTable, type Row } from './report';

/** bench/chat.ts's tables on stdout: results, ratios, CPU, where the time goes, targets, checks. */

export interface ChatReport {
  rows: Row[];
  ratios: Array<{
    scenario: string;
    p50: number;
    p90: number;
    p99: number;
    throughput: number;
    extraP50Ms: number;
  }>;
  measured: Array<{ scenario: string; path: string; cpu: CpuUsage }>;
  idle: CpuUsage;
  breakdowns: Breakdown[];
  plainBreakdowns: Array<{
    scenario: string;
    steps: Array<{ step: string; p50: number; p90: number; mean: number }>;
  }>;
  targets: Target[];
  verifications: PhaseVerification[];
}

export function printChatReport(out: NodeJS.WriteStream, report: ChatReport): void {
  const { rows, ratios, measured, idle, breakdowns, plainBreakdowns, targets, verifications } =
    report;
  printTable(rows);
  if (ratios.length > 0) {
    out.write('\nTemporal / plain\n\n');
    printTable(
      ratios.map((r) => ({
        scenario: r.scenario,
        'p50 ratio': r.p50,
        'p90 ratio': r.p90,
        'p99 ratio': r.p99,
        'throughput ratio': r.throughput,
        'extra p50 ms': r.extraP50Ms,
      })),
    );
  }
  out.write('\nCPU (cores used; 1.0 = one core busy)\n\n');
  printTable(
    measured.map((r) => ({
      scenario: r.scenario,
      path: r.path,
      ...Object.fromEntries(
        Object.entries(r.cpu.cores).filter(([k]) =>
          r.path === 'plain' ? !['api', 'worker'].includes(k) : k !== 'plain',
        ),
      ),
      machine: `${Math.round((r.cpu.machineBusy ?? NaN) * 100)}%`,
    })),
    [
      'scenario',
      'path',
      'bench',
      'temporal server',
      'postgres',
      'api',
      'worker',
      'plain',
      'others',
      'machine',
    ],
  );
  out.write(
    `idle (no traffic, 5 s): ${Object.entries(idle.cores)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}\n`,
  );
  for (const b of breakdowns) {
    out.write(
      `\nTemporal path, where the time goes (${b.scenario}; ${b.turns} turns, ` +
        `${b.firstTurns} of them session-starting; from the worker's step log)\n\n`,
    );
    printTable(
      b.segments.map((s) => ({
        segment: s.segment,
        'p50 ms': s.p50,
        'p90 ms': s.p90,
        'mean ms': s.mean,
      })),
    );
    out.write(
      `  activity work p50 ${b.work.p50} ms, orchestration p50 ${b.orchestration.p50} ms ` +
        `(p90 ${b.orchestration.p90}), total p50 ${b.total.p50} ms\n`,
    );
  }
  for (const b of plainBreakdowns) {
    out.write(`\nPlain handler steps (${b.scenario})\n\n`);
    printTable(
      b.steps.map((s) => ({ step: s.step, 'p50 ms': s.p50, 'p90 ms': s.p90, 'mean ms': s.mean })),
    );
  }
  out.write('\nTargets\n\n');
  printTable(targets.map((t) => ({ target: t.target, value: t.value, plain: t.plain, ok: t.ok })));
  out.write('\nAfter each scenario (ledger, holds, replies, deliveries)\n\n');
  printTable(
    verifications.map((v) => ({
      scenario: v.scenario,
      path: v.path,
      users: v.users,
      discrepancies: v.discrepancies,
      'holds left': v.holdsLeft,
      'duplicate replies': v.duplicateReplies,
      settled: v.settledTurns,
      answered: v.answeredTurns,
      'charged, undelivered': v.chargedWithoutDelivery,
      refunded: v.refundedTurns,
    })),
  );
  for (const v of verifications)
    for (const p of v.problems.slice(0, 5)) out.write(`  ${v.scenario}/${v.path}: ${p}\n`);
}
