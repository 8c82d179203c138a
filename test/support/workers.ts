import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { DefaultLogger, Runtime, type Worker, type WorkerOptions } from '@temporalio/worker';
import { loadConfig, type AppConfig } from '../../config';
import { taskQueue, type TaskQueueName } from '../../config/task-queues';
import { connectTemporal } from '../../lib/temporal';
import { startLinePlatform, type LinePlatformStandIn } from '../../stand-ins';
import { connectWorkerTemporal } from '../../workers/connection';
import { createQueueWorker } from '../../workers/create-worker';
import { closeWorkerDeps, createWorkerDeps, type WorkerDeps } from '../../workers/deps';

const ROOT = path.resolve(__dirname, '../..');

let runtimeInstalled = false;
/** The SDK logs every worker state change at INFO; tests only want warnings. */
function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Already installed by an earlier worker in this process.
  }
}

/** Each test file gets its own task-queue prefix so parallel files never steal each other's tasks. */
export function testConfig(overrides: Record<string, string> = {}): AppConfig {
  return loadConfig({ ...process.env, ...overrides });
}

export function uniquePrefix(label: string): string {
  return `t-${label}-${randomUUID().slice(0, 8)}-`;
}

/**
 * The LINE stand-in alone and a config on a private task-queue prefix that sends LINE calls to
 * it; `env` is what the config overrides (for a worker started as a child process).
 */
export async function startLineStandIn(label: string): Promise<{
  line: LinePlatformStandIn;
  env: Record<string, string>;
  config: AppConfig;
}> {
  const line = await startLinePlatform({
    channelAccessToken: process.env.LINE_CHANNEL_ACCESS_TOKEN!,
  });
  const env = {
    TASK_QUEUE_PREFIX: uniquePrefix(label),
    LINE_API_BASE_URL: line.url,
    LINE_DATA_API_BASE_URL: line.dataUrl,
    LINE_LOGIN_JWKS_URL: `${line.url}/oauth2/v2.1/certs`,
  };
  return { line, env, config: testConfig(env) };
}

/** A client as the API makes it: sealed payloads with the test keyring of the global setup. */
export async function temporalClient(config: AppConfig): Promise<Client> {
  return connectTemporal(config.env);
}

export function queueOf(config: AppConfig, queue: TaskQueueName): string {
  return taskQueue(config.env.TASK_QUEUE_PREFIX, queue);
}

export interface RunningWorker {
  worker: Worker;
  deps: WorkerDeps;
  stop(): Promise<void>;
}

/** A real worker in the test process, against the real Temporal server. */
export async function startWorker(
  config: AppConfig,
  queue: TaskQueueName,
  options: {
    deps?: WorkerDeps;
    depsOverrides?: Partial<WorkerDeps>;
    overrides?: Partial<WorkerOptions>;
  } = {},
): Promise<RunningWorker> {
  installQuietRuntime();
  const deps = options.deps ?? createWorkerDeps(config, options.depsOverrides);
  const connection = await connectWorkerTemporal(config.env);
  const worker = await createQueueWorker(queue, connection, deps, options.overrides);
  const running = worker.run();
  let stopped: Promise<void> | undefined;
  return {
    worker,
    deps,
    stop() {
      stopped ??= (async () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running;
        await connection.close();
        if (!options.deps) await closeWorkerDeps(deps);
      })();
      return stopped;
    },
  };
}

export interface WorkerProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves when the process has exited. */
  exited: Promise<number | null>;
}

/** A worker as a separate OS process (workers/main.ts), so a test can SIGKILL it. */
export async function spawnWorkerProcess(
  env: Record<string, string>,
  queues: TaskQueueName[],
): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'workers/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env, WORKER_QUEUES: queues.join(','), LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start:\n${out}`)), 60_000);
    const check = () => {
      if (out.includes('workers started')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code} before starting:\n${out}`));
    });
  });
  return { child, output: () => out, exited };
}

export async function waitFor<T>(
  probe: () => Promise<T | undefined | null | false>,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
