import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { startStack } from '../scripts/infra';
import { cpuSnapshot, cpuUsage } from './lib/cpu';
import { envNumber } from './lib/env';
import { environment, printTable, writeJson, type Row } from './lib/report';
import { summarize } from './lib/stats';
import { floorSession, turnSignal } from './lib/floor-workflow';

/**
 * The floor of a chat turn through Temporal on this machine: the product's session shape
 * (signal-with-start of a per-user workflow that runs its steps as local activities) with
 * steps that do nothing. Whatever a real turn costs on top of its own work can be no less.
 *
 *   node --import tsx bench/temporal-floor.ts          (npm run bench:floor)
 *
 * Same Temporal server as the tests and bench:chat (the CLI dev server, SQLite in WAL mode,
 * from startStack('test')); worker and client in this process. Two measurements:
 *
 *   latency     one turn at a time over FLOOR_USERS (20) warm sessions: signal-with-start → the
 *               first step starts, and the time between one step's end and the next one's start
 *   throughput  FLOOR_USERS_MAX (100) users in a closed loop, FLOOR_TURNS (2000) turns: turns/s
 *               and CPU per turn (this process and the Temporal server), the machine's busy share
 *
 * Each with FLOOR_STEPS (7: claim, prepare, reserve, loading, model, settle, reply) steps.
 * FLOOR_TEMPORAL_STORE=memory runs the server without its SQLite file (what persistence costs).
 * Output: a table, JSON in bench/results/temporal-floor.json.
 */

const num = (name: string, fallback: number) =>
  envNumber(name, fallback, { min: 1, integer: true });
const STEPS = num('FLOOR_STEPS', 7);
const USERS = num('FLOOR_USERS', 20);
const LATENCY_TURNS = num('FLOOR_LATENCY_TURNS', 200);
const USERS_MAX = num('FLOOR_USERS_MAX', 100);
const TURNS = num('FLOOR_TURNS', 2000);

const log = (line: string) => process.stderr.write(`[bench:floor] ${line}\n`);

/** Step start/end times (epoch ms, this process's clock) per turn. */
const steps = new Map<string, Array<{ start: number; end: number }>>();
const waiters = new Map<string, () => void>();
const now = () => performance.timeOrigin + performance.now();

const activities = {
  async noopStep(turnId: string, step: number): Promise<void> {
    const list = steps.get(turnId) ?? [];
    list[step] = { start: now(), end: now() };
    steps.set(turnId, list);
    if (step === STEPS - 1) waiters.get(turnId)?.();
  },
};

async function turn(client: Client, taskQueue: string, user: string) {
  const turnId = randomUUID();
  const done = new Promise<void>((resolve) => waiters.set(turnId, resolve));
  const posted = now();
  await client.workflow.signalWithStart(floorSession, {
    workflowId: `floor-${user}`,
    taskQueue,
    signal: turnSignal,
    signalArgs: [{ turnId, steps: STEPS }],
  });
  await done;
  waiters.delete(turnId);
  const list = steps.get(turnId) ?? [];
  steps.delete(turnId);
  const first = list[0] as { start: number };
  const gaps = list.slice(1).map((s, i) => s.start - (list[i] as { end: number }).end);
  return { toFirstStep: first.start - posted, gaps, total: now() - posted };
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  log('starting Temporal (startStack test) ...');
  const stack = await startStack('test', {
    services: ['temporal'],
    log: (l) => log(l),
    // Experiment: FLOOR_TEMPORAL_STORE=memory, the dev server without its SQLite file.
    temporalStore: process.env.FLOOR_TEMPORAL_STORE === 'memory' ? 'memory' : 'file',
  });
  try {
    const address = stack.env.TEMPORAL_ADDRESS as string;
    const temporalPid = stack.services.find((s) => s.name === 'temporal')?.pid ?? null;
    const taskQueue = `floor-${randomUUID().slice(0, 8)}`;
    const worker = await Worker.create({
      connection: await NativeConnection.connect({ address }),
      taskQueue,
      workflowsPath: path.join(__dirname, 'lib', 'floor-workflow.ts'),
      activities,
      // As the product's chat workers (CHAT_TURNS_PER_WORKER): a turn holds a task slot.
      maxConcurrentWorkflowTaskExecutions: 200,
      maxConcurrentLocalActivityExecutions: 200,
    });
    const client = new Client({ connection: await Connection.connect({ address }) });

    const results = await worker.runUntil(async () => {
      // Warm-up: every session started and cached, the code paths compiled.
      const users = Array.from({ length: Math.max(USERS, USERS_MAX) }, () => randomUUID());
      await Promise.all(users.map((u) => turn(client, taskQueue, u)));

      log(`latency: ${LATENCY_TURNS} turns, one at a time ...`);
      const single = [];
      for (let i = 0; i < LATENCY_TURNS; i++) {
        single.push(await turn(client, taskQueue, users[i % USERS] as string));
      }

      log(`throughput: ${TURNS} turns, ${USERS_MAX} users in a closed loop ...`);
      const pids = {
        'bench (worker + client)': [process.pid],
        ...(temporalPid ? { 'temporal server': [temporalPid] } : {}),
      };
      const before = cpuSnapshot(Object.values(pids).flat());
      const started = now();
      let sent = 0;
      await Promise.all(
        users.slice(0, USERS_MAX).map(async (u) => {
          while (sent < TURNS) {
            sent++;
            await turn(client, taskQueue, u);
          }
        }),
      );
      const seconds = (now() - started) / 1000;
      const cpu = cpuUsage(before, cpuSnapshot(Object.values(pids).flat()), pids);
      return { single, sent, seconds, cpu };
    });

    const toFirst = summarize(results.single.map((r) => r.toFirstStep));
    const gap = summarize(results.single.flatMap((r) => r.gaps));
    const total = summarize(results.single.map((r) => r.total));
    const turnsPerSecond = Math.round((results.sent / results.seconds) * 10) / 10;
    const cpuMsPerTurn = Object.fromEntries(
      Object.entries(results.cpu.cores).map(([k, cores]) => [
        k,
        Math.round(((cores * 1000) / turnsPerSecond) * 10) / 10,
      ]),
    );

    process.stdout.write(
      `\nTemporal floor: a turn of ${STEPS} no-op local activities in a per-user session ` +
        `(${environment().cpus} cores, Node ${process.version})\n\n`,
    );
    const rows: Row[] = [
      { measure: 'signal-with-start → first step starts', ...pick(toFirst) },
      { measure: 'one step ends → the next starts (each)', ...pick(gap) },
      { measure: `whole turn (${STEPS} steps)`, ...pick(total) },
    ];
    printTable(rows);
    process.stdout.write(
      `\nclosed loop, ${USERS_MAX} users: ${turnsPerSecond} turns/s; machine ` +
        `${Math.round((results.cpu.machineBusy ?? NaN) * 100)}% busy; CPU per turn: ` +
        `${Object.entries(cpuMsPerTurn)
          .map(([k, v]) => `${k} ${v} ms`)
          .join(', ')}\n`,
    );
    const file = writeJson('temporal-floor', {
      settings: {
        steps: STEPS,
        users: USERS,
        latencyTurns: LATENCY_TURNS,
        usersMax: USERS_MAX,
        turns: TURNS,
      },
      environment: environment(),
      latency: { toFirstStep: toFirst, stepGap: gap, total },
      throughput: {
        turnsPerSecond,
        cpuCores: results.cpu.cores,
        machineBusy: results.cpu.machineBusy,
        cpuMsPerTurn,
      },
    });
    log(`results: ${file}`);
  } finally {
    await stack.stop();
  }
}

function pick(s: ReturnType<typeof summarize>): Row {
  return { 'p50 ms': s.p50, 'p90 ms': s.p90, 'p99 ms': s.p99, 'mean ms': s.mean };
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
