import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';

/**
 * Where a chat turn's time goes in Temporal, from the event timestamps of its histories (the
 * user's session workflow and the turn's child workflow) plus the benchmark's own clock for
 * the webhook POST and the reply's arrival at the LINE stand-in. Everything runs on one machine,
 * so the server's and the benchmark's wall clocks agree.
 */

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

function ms(ts: HistoryEvent['eventTime']): number {
  if (!ts) return NaN;
  return Number(ts.seconds ?? 0) * 1000 + (ts.nanos ?? 0) / 1e6;
}

function id(n: unknown): string {
  return n === null || n === undefined ? '' : String(n);
}

export interface ActivitySpan {
  type: string;
  scheduled: number;
  started: number;
  completed: number;
  attempt: number;
}

export interface TaskSpan {
  scheduled: number;
  started: number;
  completed: number;
}

export interface TurnTimeline {
  webhookEventId: string;
  /** Epoch ms: the benchmark sent the webhook POST / saw the reply at the LINE stand-in. */
  posted: number;
  arrived: number;
  signalled: number;
  /** True when the signal-with-start created the session (first message in a while). */
  sessionStarted: boolean;
  /** The session's workflow task that picked the event up: scheduled/started/completed. */
  sessionTask: { scheduled: number; started: number; completed: number } | null;
  childInitiated: number;
  childStarted: number;
  childCompleted: number;
  /** Workflow tasks of the child: count and summed schedule-to-start (queue) time. */
  childTasks: { count: number; queueMs: number; runMs: number; list: TaskSpan[] };
  activities: ActivitySpan[];
}

/** Ordered segments of one turn, in ms; the keys are stable report columns. */
export function segments(t: TurnTimeline): Record<string, number> {
  const out: Record<string, number> = {};
  out['webhook → session signalled'] = t.signalled - t.posted;
  out['signalled → child initiated'] = t.childInitiated - t.signalled;
  out['child initiated → started'] = t.childStarted - t.childInitiated;
  let cursor = t.childStarted;
  let prev = 'child start';
  for (const a of t.activities) {
    out[`${prev} → ${a.type} scheduled`] = a.scheduled - cursor;
    out[`${a.type} schedule-to-start`] = a.started - a.scheduled;
    if (a.type === 'deliverMessages') {
      out[`${a.type} start → reply at LINE`] = t.arrived - a.started;
    } else {
      out[`${a.type} run`] = a.completed - a.started;
    }
    cursor = a.completed;
    prev = a.type;
  }
  out.total = t.arrived - t.posted;
  return out;
}

/**
 * Workflow tasks, not additive with segments(): how long each waited in its task queue
 * (schedule-to-start) and how long from its start to its completion reaching the server (run:
 * poll response, the worker's activation, the completion RPC). The session's task that started
 * the child and the child's first task come from the normal queue (a new workflow); the child's
 * later tasks from the worker's sticky queue.
 */
export function taskDetails(t: TurnTimeline): Record<string, number> {
  const out: Record<string, number> = {};
  if (t.sessionTask) {
    out['session task: queue'] = t.sessionTask.started - t.sessionTask.scheduled;
    out['session task: run'] = t.sessionTask.completed - t.sessionTask.started;
  }
  const [first, ...later] = t.childTasks.list;
  if (first) {
    out['child 1st task: queue'] = first.started - first.scheduled;
    out['child 1st task: run'] = first.completed - first.started;
  }
  const done = later.filter((x) => Number.isFinite(x.completed));
  if (done.length > 0) {
    const mean = (f: (x: TaskSpan) => number) => done.reduce((n, x) => n + f(x), 0) / done.length;
    out['child later tasks: queue (each)'] = mean((x) => x.started - x.scheduled);
    out['child later tasks: run (each)'] = mean((x) => x.completed - x.started);
  }
  return out;
}

/**
 * Splits a turn into time spent doing the work (activity execution, the parts the plain
 * handler also does) and orchestration (everything else: signal, workflow tasks, queues).
 */
export function split(t: TurnTimeline): { work: number; orchestration: number; total: number } {
  let work = 0;
  for (const a of t.activities) {
    work += a.type === 'deliverMessages' ? t.arrived - a.started : a.completed - a.started;
  }
  const total = t.arrived - t.posted;
  return { work, orchestration: total - work, total };
}

async function events(client: Client, workflowId: string): Promise<HistoryEvent[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return history.events ?? [];
}

type Ts = { seconds?: number | string; nanos?: number } | string | undefined;

function tsMs(t: Ts): number {
  if (t === undefined) return NaN;
  if (typeof t === 'string') return Date.parse(t);
  return Number(t.seconds ?? 0) * 1000 + (t.nanos ?? 0) / 1e6;
}

/**
 * Every activity of a history (regular and local) in the order the workflow ran them, with
 * their (last) attempt's times.
 *
 * Regular activities have scheduled/started/completed events. Local activities leave only a
 * marker each, written when the workflow task that ran them completes; the marker's data holds
 * the activity type and its completion time (its original_schedule_time is not usable: it can
 * be later than the completion). Local activities of one workflow task run back to back, so
 * each one's start is taken as the previous one's completion, the first one's as the start of
 * that workflow task; for them "scheduled" = "started" (no task queue involved).
 */
function activitySpans(evs: HistoryEvent[]): ActivitySpan[] {
  const spans: ActivitySpan[] = [];
  const regular = new Map<string, ActivitySpan>();
  let cursor = NaN; // where the next local activity of the current workflow task starts
  for (const e of evs) {
    if (e.workflowTaskStartedEventAttributes) {
      cursor = ms(e.eventTime);
    } else if (e.markerRecordedEventAttributes) {
      const m = e.markerRecordedEventAttributes;
      const payload =
        m.markerName === 'core_local_activity' ? m.details?.data?.payloads?.[0] : null;
      if (!payload) continue;
      const d = defaultPayloadConverter.fromPayload<Record<string, unknown>>(payload);
      const completed = tsMs((d.complete_time ?? d.completeTime) as Ts);
      spans.push({
        type: String(d.activity_type ?? d.activityType ?? '?'),
        scheduled: cursor,
        started: cursor,
        completed,
        attempt: Number(d.attempt ?? 1),
      });
      cursor = completed;
    } else if (e.activityTaskScheduledEventAttributes) {
      const span: ActivitySpan = {
        type: e.activityTaskScheduledEventAttributes.activityType?.name ?? '?',
        scheduled: ms(e.eventTime),
        started: NaN,
        completed: NaN,
        attempt: 0,
      };
      regular.set(id(e.eventId), span);
      spans.push(span);
    } else if (e.activityTaskStartedEventAttributes) {
      const a = regular.get(id(e.activityTaskStartedEventAttributes.scheduledEventId));
      if (a) {
        a.started = ms(e.eventTime);
        a.attempt = e.activityTaskStartedEventAttributes.attempt ?? 1;
      }
    } else if (e.activityTaskCompletedEventAttributes) {
      const a = regular.get(id(e.activityTaskCompletedEventAttributes.scheduledEventId));
      if (a) a.completed = ms(e.eventTime);
    }
  }
  return spans;
}

function workflowTasks(evs: HistoryEvent[]) {
  const tasks: Array<{ scheduled: number; started: number; completed: number }> = [];
  let current: { scheduled: number; started: number; completed: number } | null = null;
  for (const e of evs) {
    if (e.workflowTaskScheduledEventAttributes) {
      current = { scheduled: ms(e.eventTime), started: NaN, completed: NaN };
      tasks.push(current);
    } else if (e.workflowTaskStartedEventAttributes && current) {
      current.started = ms(e.eventTime);
    } else if (e.workflowTaskCompletedEventAttributes && current) {
      current.completed = ms(e.eventTime);
    }
  }
  return tasks;
}

/**
 * Timelines of the given turns of one user (in the order sent). `sent` maps webhookEventId to
 * the benchmark's POST and arrival times (epoch ms).
 */
export async function userTimelines(
  client: Client,
  sessionWorkflowId: string,
  sent: ReadonlyArray<{ webhookEventId: string; posted: number; arrived: number }>,
): Promise<TurnTimeline[]> {
  const session = await events(client, sessionWorkflowId);
  const signalledAt = new Map<string, { at: number; index: number }>();
  const initiatedAt = new Map<string, number>();
  let startedAt = NaN;
  session.forEach((e, index) => {
    if (e.workflowExecutionStartedEventAttributes) startedAt = ms(e.eventTime);
    const sig = e.workflowExecutionSignaledEventAttributes;
    if (sig?.signalName === 'lineEvent') {
      const payload = sig.input?.payloads?.[0];
      if (payload) {
        const event = defaultPayloadConverter.fromPayload<{ webhookEventId: string }>(payload);
        signalledAt.set(event.webhookEventId, { at: ms(e.eventTime), index });
      }
    }
    const init = e.startChildWorkflowExecutionInitiatedEventAttributes;
    if (init?.workflowId) initiatedAt.set(init.workflowId, ms(e.eventTime));
  });
  const sessionTasks = workflowTasks(session);

  const out: TurnTimeline[] = [];
  for (const s of sent) {
    const childId = `chat-${s.webhookEventId}`;
    const signal = signalledAt.get(s.webhookEventId);
    const childInitiated = initiatedAt.get(childId);
    if (!signal || childInitiated === undefined) continue;
    const child = await events(client, childId);
    const childTasks = workflowTasks(child);
    const first = child[0];
    const last = child[child.length - 1];
    // The session task that issued the child: the last one completed by the initiation.
    const task =
      [...sessionTasks].reverse().find((t) => t.completed <= childInitiated + 0.001) ?? null;
    out.push({
      webhookEventId: s.webhookEventId,
      posted: s.posted,
      arrived: s.arrived,
      signalled: signal.at,
      sessionStarted: Math.abs(startedAt - signal.at) < 1 && signal.index <= 2,
      sessionTask: task,
      childInitiated,
      childStarted: ms(first?.eventTime),
      childCompleted: ms(last?.eventTime),
      childTasks: {
        count: childTasks.length,
        queueMs: childTasks.reduce((n, t) => n + (t.started - t.scheduled || 0), 0),
        runMs: childTasks.reduce((n, t) => n + (t.completed - t.started || 0), 0),
        list: childTasks,
      },
      activities: activitySpans(child),
    });
  }
  return out;
}
