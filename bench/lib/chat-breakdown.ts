import { chatTurnId, sessionWorkflowId } from '../../workflows/support/ids';
import type { Sample } from './chat-load';
import type { PlainTurnTimings } from './plain-chat-handler';
import { summarize, type LatencySummary } from './stats';
import { turnSegments, type StepRecord } from './step-log';

/** Where a turn's time goes: the Temporal path from the worker's step log, the plain handler's own timings. */

interface TimedPhase {
  scenario: string;
  samples: Sample[];
}

// ---------------------------------------------------------------------------------------------
// Where the time goes (Temporal)

export interface Breakdown {
  scenario: string;
  turns: number;
  segments: Array<{ segment: string; p50: number; p90: number; mean: number }>;
  work: LatencySummary;
  orchestration: LatencySummary;
  total: LatencySummary;
  firstTurns: number;
}

/** Where the time goes, from the chat worker's step log (bench/lib/step-log.ts). */
export function breakdown(phase: TimedPhase, steps: Map<string, StepRecord[]>): Breakdown | null {
  const turns: Array<{ sample: Sample; t: ReturnType<typeof turnSegments> }> = [];
  for (const sample of phase.samples.filter((x) => x.ok)) {
    // The session's claim, then the turn's steps in its own workflow (chat-<webhookEventId>;
    // the inline turn of older code ran them in the session).
    const mine = [
      ...(steps.get(sessionWorkflowId(sample.lineUserId)) ?? []),
      ...(steps.get(chatTurnId(sample.webhookEventId)) ?? []),
    ]
      .filter((r) => r.start >= sample.posted && r.start <= sample.arrived)
      .sort((a, b) => a.start - b.start);
    turns.push({ sample, t: turnSegments(sample.posted, sample.arrived, mine) });
  }
  // Only turns that took the usual path (same steps) are comparable segment by segment.
  const shape = (x: (typeof turns)[number]) => Object.keys(x.t.segments).join(',');
  const counts = new Map<string, number>();
  for (const x of turns) counts.set(shape(x), (counts.get(shape(x)) ?? 0) + 1);
  const usual = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  const same = turns.filter((x) => shape(x) === usual && x.t.work > 0);
  if (same.length === 0) return null;
  const per = new Map<string, number[]>();
  for (const x of same) {
    for (const [k, v] of Object.entries(x.t.segments)) {
      const list = per.get(k) ?? [];
      list.push(v);
      per.set(k, list);
    }
  }
  return {
    scenario: phase.scenario,
    turns: same.length,
    segments: [...per.entries()].map(([segment, values]) => {
      const v = summarize(values);
      return { segment, p50: v.p50, p90: v.p90, mean: v.mean };
    }),
    work: summarize(same.map((x) => x.t.work)),
    orchestration: summarize(same.map((x) => x.t.total - x.t.work)),
    total: summarize(same.map((x) => x.t.total)),
    firstTurns: same.filter((x) => x.sample.first).length,
  };
}

export function plainSteps(phase: TimedPhase) {
  const timed = phase.samples.filter((s) => s.ok && s.plain);
  const keys = ['prepare', 'reserve', 'showLoading', 'llm', 'settle', 'reply', 'total'] as const;
  const out: Array<{ step: string; p50: number; p90: number; mean: number }> = keys.map((k) => {
    const s = summarize(timed.map((t) => (t.plain as PlainTurnTimings)[k]));
    return { step: k, p50: s.p50, p90: s.p90, mean: s.mean };
  });
  const outside = summarize(timed.map((t) => t.latencyMs - (t.plain as PlainTurnTimings).total));
  out.push({ step: 'outside the handler', p50: outside.p50, p90: outside.p90, mean: outside.mean });
  return out;
}
