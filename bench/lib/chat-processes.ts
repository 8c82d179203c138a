import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/**
 * bench/chat.ts's systems under test as child processes (bench/lib/chat-sut.ts), and the
 * clean-up run on exit or on SIGINT/SIGTERM. BENCH_SUT_NODE_ARGS adds node flags to each;
 * BENCH_CPU_PROF=dir profiles the worker and the plain handler (node --cpu-prof, per thread).
 */

const CPU_PROF_DIR = process.env.BENCH_CPU_PROF ? path.resolve(process.env.BENCH_CPU_PROF) : '';
const log = (line: string) => process.stderr.write(`[bench:chat] ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Processes and clean-up

export interface Sut {
  role: string;
  child: ChildProcess;
  pid: number;
  port?: number;
  stop(): Promise<void>;
}

export const cleanups: Array<() => Promise<void>> = [];
let cleaning: Promise<void> | undefined;
export function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const fn of cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch (err) {
        log(`clean-up step failed: ${(err as Error).message}`);
      }
    }
  })();
  return cleaning;
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    log(`${sig}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

export async function startSut(
  role: 'api' | 'worker' | 'plain',
  env: NodeJS.ProcessEnv,
): Promise<Sut> {
  const child = fork(path.join(__dirname, 'chat-sut.ts'), [role], {
    // BENCH_SUT_NODE_ARGS: extra node flags for the systems under test (e.g. --cpu-prof).
    execArgv: [
      '--import',
      'tsx',
      ...(process.env.BENCH_SUT_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      // BENCH_CPU_PROF=dir: a V8 CPU profile of the worker and the plain handler, per thread.
      ...(CPU_PROF_DIR && role !== 'api'
        ? ['--cpu-prof', `--cpu-prof-dir=${path.join(CPU_PROF_DIR, role)}`]
        : []),
    ],
    env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const forward = (d: Buffer) => {
    for (const line of d.toString().split('\n')) if (line.trim()) log(`[${role}] ${line}`);
  };
  child.stdout?.on('data', forward);
  child.stderr?.on('data', forward);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const ready = await new Promise<{ port?: number; pid: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${role} did not start in 90 s`)), 90_000);
    child.once('message', (m) => {
      clearTimeout(timer);
      resolve(m as { port?: number; pid: number });
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${role} exited before it was ready`));
    });
  });
  let stopping: Promise<void> | undefined;
  const sut: Sut = {
    role,
    child,
    pid: ready.pid,
    port: ready.port,
    stop() {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        if (child.connected) child.send({ stop: true });
        else child.kill('SIGTERM');
        const timeout = sleep(15_000).then(() => 'timeout');
        if ((await Promise.race([exited.then(() => 'exited'), timeout])) === 'timeout') {
          child.kill('SIGKILL');
          await exited;
        }
      })();
      return stopping;
    },
  };
  cleanups.push(() => sut.stop());
  return sut;
}
