import type { Client } from '@temporalio/client';
import { taskQueue, TaskQueues, workSearchAttributes } from '../config/task-queues';
import {
  sessionKeyOf,
  type Conversation,
  type LineInboundEvent,
  type LineWebhookEvent,
} from '../domain/line-events';
import type { Db } from '../lib/db';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/metrics';
import {
  countWaiting,
  giveUpOldEvents,
  markFailed,
  markRelayed,
  tryRelayLock,
  waitingEvents,
  type InboxRow,
} from '../services/line-inbox';
import {
  lineEventSignal,
  lineUserSession,
  SESSION_TASK_TIMEOUT,
  sessionWorkflowId,
} from '../workflows/line-user-session';
import { lineGroupEventSignal, lineGroupSession } from '../workflows/line-group-session';
import { conversationSessionWorkflowId } from '../workflows/support/ids';
import { signalCollectTap } from './collect-tap';
import type { ApiClients } from './deps';

/**
 * The inbox relay: hands the rows the LINE webhook wrote (services/line-inbox.ts) to the users'
 * session workflows (signal-with-start), in each user's arrival order, and keeps trying while
 * Temporal is away. One loop per API process, woken by the webhook and polling for rows other
 * replicas wrote.
 *
 * One relay at a time per task queue, across replicas: each pass runs in a transaction holding
 * a PostgreSQL advisory lock. Simpler than per-row locks (FOR UPDATE SKIP LOCKED would let two
 * replicas take two rows of one user and signal them out of order) and enough: a pass signals
 * users in parallel, and one API replica is far from the limit of what Temporal accepts.
 *
 * At least once: a row is marked relayed after its signal succeeded, in the same transaction;
 * a crash in between signals again, and the session drops the repeat by webhookEventId. A
 * user's later rows wait behind a failed one. Nothing waits forever: rows older than
 * inbox.maxRelayAgeMinutes are given up (counted, logged by event ID and user, never text).
 */

export interface InboxRelayOptions {
  db: Db;
  temporal: Client;
  logger: Logger;
  metrics: Pick<Metrics, 'inboxRelayed' | 'inboxRelayLag' | 'inboxBacklog' | 'workflowStarts'>;
  /** The session task queue (TASK_QUEUE_PREFIX + chat): whose rows this relay takes. */
  taskQueue: string;
  maxRelayAgeMs: number;
  /** Users signalled at once in a pass. */
  concurrency: number;
  /** How often to look for rows written by other replicas. */
  pollMs?: number;
  /** Rows per pass. */
  batchSize?: number;
  /** Backoff between passes while Temporal fails: doubles from min to max. */
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /** One signal may take this long (the client would otherwise retry for ~20 s). */
  signalTimeoutMs?: number;
}

export interface InboxRelay {
  /** Look now (the webhook has just written rows). */
  wake(): void;
  /** Ends the loop after the pass in progress (its transaction commits or rolls back). */
  stop(): Promise<void>;
}

interface PassResult {
  relayed: number;
  failed: number;
  /** Temporal (or the database) could not be reached: the next pass waits for a backoff. */
  away: boolean;
  /** A full batch went through: more may be waiting. */
  more: boolean;
}

/** Relays started in this process, by task queue: the webhook rings them after its INSERT. */
const running = new Map<string, Set<InboxRelay>>();

/** Wakes this process's relays of `taskQueue` (no-op when none runs, e.g. a bare test app). */
export function wakeInboxRelays(taskQueue: string): void {
  for (const relay of running.get(taskQueue) ?? []) relay.wake();
}

/** gRPC UNAVAILABLE / DEADLINE_EXCEEDED anywhere in the cause chain: Temporal is away. */
function temporalUnreachable(err: unknown): boolean {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined; e;) {
    if (e.code === 14 || e.code === 4) return true;
    e = e.cause as typeof e;
  }
  return false;
}

/** Names a failure for last_error and logs: class and message, never the event. */
function describeError(err: unknown): string {
  const e = err as Error;
  return `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`;
}

export function startInboxRelay(options: InboxRelayOptions): InboxRelay {
  const { db, temporal, logger, metrics } = options;
  const sessions = options.taskQueue;
  const pollMs = options.pollMs ?? 1000;
  const batchSize = options.batchSize ?? 500;
  const backoffMinMs = options.backoffMinMs ?? 100;
  const backoffMaxMs = options.backoffMaxMs ?? 5000;
  const signalTimeoutMs = options.signalTimeoutMs ?? 5000;

  let stopped = false;
  let housekeptAt = 0;

  // A group's or room's events go to its own session, in the group's order whoever sent them.
  const signalGroup = (event: LineWebhookEvent & { conversation: Conversation }) =>
    temporal.connection.withDeadline(Date.now() + signalTimeoutMs, () =>
      temporal.workflow.signalWithStart(lineGroupSession, {
        workflowId: conversationSessionWorkflowId(event.conversation),
        taskQueue: sessions,
        args: [event.conversation],
        signal: lineGroupEventSignal,
        signalArgs: [event],
        typedSearchAttributes: workSearchAttributes(undefined, 'session'),
        workflowTaskTimeout: SESSION_TASK_TIMEOUT,
      }),
    );

  const signal = (event: LineWebhookEvent) => {
    if (event.conversation) return signalGroup({ ...event, conversation: event.conversation });
    const { lineUserId } = event as LineInboundEvent;
    return temporal.connection.withDeadline(Date.now() + signalTimeoutMs, () =>
      temporal.workflow.signalWithStart(lineUserSession, {
        workflowId: sessionWorkflowId(lineUserId),
        taskQueue: sessions,
        args: [lineUserId],
        signal: lineEventSignal,
        signalArgs: [event as LineInboundEvent],
        typedSearchAttributes: workSearchAttributes(lineUserId, 'session'),
        // Chat turns run as local activities inside the session's workflow task: if its
        // worker dies mid-turn, this is how soon another worker takes the turn over.
        workflowTaskTimeout: SESSION_TASK_TIMEOUT,
      }),
    );
  };

  /** One user's rows in order; stops at the first failure (later rows wait behind it). */
  async function relayUser(
    rows: InboxRow[],
    relayed: bigint[],
    failures: Array<{ row: InboxRow; error: unknown }>,
    abort: { temporalAway: boolean },
  ) {
    for (const row of rows) {
      if (abort.temporalAway) return;
      try {
        // A 「回答を受け取る」 tap goes to its running turn (the session awaits that turn);
        // anything else, or a tap whose turn is over, to the session.
        const toTurn = await signalCollectTap(temporal, row.event, signalTimeoutMs);
        if (!toTurn) await signal(row.event);
        relayed.push(row.id);
        metrics.workflowStarts.inc({
          kind: toTurn ? 'collect_tap' : row.event.type,
          result: 'signalled',
        });
      } catch (error) {
        failures.push({ row, error });
        // No point asking for the other users now: the next pass comes after a backoff.
        if (temporalUnreachable(error)) abort.temporalAway = true;
        return;
      }
    }
  }

  async function pass(): Promise<PassResult> {
    return db.$transaction(
      async (tx) => {
        if (!(await tryRelayLock(tx, sessions)))
          return { relayed: 0, failed: 0, away: false, more: false };
        // Housekeeping (give up rows past the maximum age) on the first pass and then at most
        // once per poll interval, not on every pass a webhook wakes: a busy relay saves a round
        // trip per pass, and a row is at most one interval late to be given up.
        const housekeeping = Date.now() - housekeptAt >= pollMs;
        if (housekeeping) housekeptAt = Date.now();
        for (const gone of housekeeping
          ? await giveUpOldEvents(tx, sessions, options.maxRelayAgeMs)
          : []) {
          metrics.inboxRelayed.inc({ result: 'given_up' });
          logger.error(
            { webhookEventId: gone.webhookEventId, lineUserId: gone.lineUserId },
            'line event given up: not relayed within inbox.maxRelayAgeMinutes',
          );
        }
        const rows = await waitingEvents(tx, sessions, batchSize);
        // By session: a user's one-to-one events, or a group's or room's (all its members').
        const byUser = new Map<string, InboxRow[]>();
        for (const row of rows) {
          const key = sessionKeyOf(row.event);
          const list = byUser.get(key) ?? [];
          list.push(row);
          byUser.set(key, list);
        }
        const users = [...byUser.values()];
        const relayed: bigint[] = [];
        const failures: Array<{ row: InboxRow; error: unknown }> = [];
        const abort = { temporalAway: false };
        let next = 0;
        const lane = async () => {
          // A stop (SIGTERM) lets the users in progress finish and starts no others.
          while (next < users.length && !abort.temporalAway && !stopped) {
            await relayUser(users[next++]!, relayed, failures, abort);
          }
        };
        await Promise.all(Array.from({ length: options.concurrency }, lane));

        for (const lag of await markRelayed(tx, relayed)) metrics.inboxRelayLag.observe(lag);
        metrics.inboxRelayed.inc({ result: 'relayed' }, relayed.length);
        for (const { row, error } of failures) {
          await markFailed(tx, row.id, describeError(error));
          metrics.inboxRelayed.inc({ result: 'failed' });
        }
        if (failures.length > 0) {
          const first = failures[0]!;
          logger.warn(
            {
              failed: failures.length,
              webhookEventId: first.row.event.webhookEventId,
              error: describeError(first.error),
            },
            'line inbox relay: signals failed; the rows wait for the next pass',
          );
        }
        // A partial batch was everything waiting when it was read: what it left is the backlog
        // (new rows wake the next pass). Counted in the table on housekeeping or a full batch.
        const backlog =
          housekeeping || rows.length === batchSize
            ? await countWaiting(tx, sessions)
            : rows.length - relayed.length;
        metrics.inboxBacklog.set({ task_queue: sessions }, backlog);
        return {
          relayed: relayed.length,
          failed: failures.length,
          away: abort.temporalAway,
          more: rows.length === batchSize && failures.length === 0,
        };
      },
      // A pass may wait on Temporal (signalTimeoutMs per signal, users in parallel).
      { maxWait: 10_000, timeout: 10 * 60_000 },
    );
  }

  /** A wake during a pass: the next pass starts without waiting. */
  let woken = false;
  let waiting: { wakeable: boolean; end(): void } | null = null;
  const sleep = (ms: number, wakeable: boolean) =>
    new Promise<void>((resolve) => {
      if (stopped || (wakeable && woken)) return resolve();
      const end = () => {
        clearTimeout(timer);
        waiting = null;
        resolve();
      };
      const timer = setTimeout(end, ms);
      waiting = { wakeable, end };
    });

  const loop = (async () => {
    let backoffMs = 0;
    while (!stopped) {
      woken = false;
      let result: PassResult;
      try {
        result = await pass();
      } catch (err) {
        // The database itself failed: same backoff as a Temporal failure.
        logger.warn({ error: describeError(err) }, 'line inbox relay pass failed');
        result = { relayed: 0, failed: 1, away: true, more: false };
      }
      // Only an unreachable Temporal slows everyone down; a row that fails on its own (one
      // user's session) is retried at the poll interval until it is given up.
      if (result.away) {
        // A wake does not cut a backoff short: new rows cannot get through either.
        backoffMs = Math.min(backoffMaxMs, backoffMs === 0 ? backoffMinMs : backoffMs * 2);
        await sleep(backoffMs, false);
      } else {
        backoffMs = 0;
        if (!result.more) await sleep(pollMs, true);
      }
    }
  })();

  const relay: InboxRelay = {
    wake() {
      woken = true;
      if (waiting?.wakeable) waiting.end();
    },
    async stop() {
      stopped = true;
      running.get(sessions)?.delete(relay);
      waiting?.end();
      await loop;
    },
  };
  if (!running.has(sessions)) running.set(sessions, new Set());
  running.get(sessions)!.add(relay);
  return relay;
}

/** The relay of an API process, configured from its clients (api/server.ts, test API). */
export function startApiInboxRelay(
  clients: Pick<ApiClients, 'config' | 'db' | 'temporal' | 'logger' | 'metrics'>,
): InboxRelay {
  const { config } = clients;
  return startInboxRelay({
    ...clients,
    taskQueue: taskQueue(config.env.TASK_QUEUE_PREFIX, TaskQueues.chat),
    maxRelayAgeMs: config.catalog.inbox.maxRelayAgeMinutes * 60_000,
    concurrency: config.catalog.inbox.relayConcurrency,
  });
}
