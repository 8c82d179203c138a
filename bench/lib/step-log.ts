import fs from 'node:fs';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';

/**
 * Where a turn's time goes, measured where it is spent: the bench's chat worker records when
 * each activity (the turn's steps run as local activities) starts and ends, per workflow, and
 * the bench lines them up with its own clock (webhook POST, reply at the LINE stand-in). The
 * workflow history cannot tell this: local activities leave only a marker each, written when
 * the workflow task completes. All processes share one machine clock (epoch ms).
 */

export interface StepRecord {
  workflowId: string;
  type: string;
  start: number;
  end: number;
}

const now = () => performance.timeOrigin + performance.now();

/** An activity interceptor that appends a StepRecord line to `file` (flushed every second). */
export function recordSteps(file: string): {
  interceptor: ActivityInterceptorsFactory;
  flush(): void;
} {
  let buffer: string[] = [];
  const flush = () => {
    if (buffer.length === 0) return;
    fs.appendFileSync(file, buffer.join(''));
    buffer = [];
  };
  setInterval(flush, 1000).unref();
  const interceptor: ActivityInterceptorsFactory = (ctx) => ({
    inbound: {
      async execute(input, next) {
        const start = now();
        try {
          return await next(input);
        } finally {
          const record: StepRecord = {
            workflowId: ctx.info.workflowExecution?.workflowId ?? '',
            type: ctx.info.activityType,
            start,
            end: now(),
          };
          buffer.push(`${JSON.stringify(record)}\n`);
        }
      },
    },
  });
  return { interceptor, flush };
}

export function readSteps(file: string): Map<string, StepRecord[]> {
  const byWorkflow = new Map<string, StepRecord[]>();
  if (!fs.existsSync(file)) return byWorkflow;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    const r = JSON.parse(line) as StepRecord;
    const list = byWorkflow.get(r.workflowId) ?? [];
    list.push(r);
    byWorkflow.set(r.workflowId, list);
  }
  for (const list of byWorkflow.values()) list.sort((a, b) => a.start - b.start);
  return byWorkflow;
}

/**
 * One turn's segments in ms, in order: from the POST to the first step (signal, workflow task,
 * activation), each step's run and the wait before it, the reply's way to the stand-in. `steps`
 * are the session's records within the turn (a user has one turn in flight at a time).
 */
export function turnSegments(
  posted: number,
  arrived: number,
  steps: readonly StepRecord[],
): { segments: Record<string, number>; work: number; total: number } {
  const segments: Record<string, number> = {};
  let work = 0;
  let cursor = posted;
  steps.forEach((s, i) => {
    const next = steps[i + 1];
    if (next && next.start < s.end) {
      // Ran alongside the next step (the loading animation beside the model call).
      segments[`${s.type} run (alongside)`] = s.end - s.start;
      return;
    }
    segments[i === 0 ? `webhook → ${s.type} starts` : `wait before ${s.type}`] = s.start - cursor;
    // The reply counts until it reaches the stand-in (its HTTP response comes back later).
    const end = s.type === 'deliverMessages' ? arrived : s.end;
    segments[`${s.type} run`] = end - s.start;
    if (s.type !== 'claimLineEvent') work += end - s.start;
    cursor = end;
  });
  segments.total = arrived - posted;
  return { segments, work, total: arrived - posted };
}
