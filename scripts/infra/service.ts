import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { errorMessage, InfraError, isInfraError } from './errors';
import { withFileLock } from './lock';
import type { Profile } from './paths';
import { isPortOpen } from './ports';
import {
  isAlive,
  isSameProcess,
  processStartTime,
  signal,
  sleep,
  tailFile,
  terminate,
} from './proc';
import { ensureTool, type EnsureToolOptions, type ToolName } from './tools';

export type ServiceName = 'temporal' | 'minio' | 'stripe-mock';

export interface ServiceDefinition {
  name: ServiceName;
  /** Human name for messages, e.g. "Temporal". */
  label: string;
  tool: ToolName;
  host: string;
  /** The port the health check uses. */
  port: number;
  /** Every port the service was asked to use (recorded in the pid file). */
  ports: Record<string, number>;
  args: string[];
  env?: Record<string, string>;
  /** Environment variable that moves `port`, named in port-conflict messages. */
  portVariable: string;
  /**
   * One health attempt, including idempotent setup (bucket, search attributes). Throws when
   * not healthy yet; an InfraError is final (no more retries).
   */
  check(): Promise<void>;
}

export interface ServiceContext {
  profile: Profile;
  /** Where pid files and logs live. */
  stateDir: string;
  /** Leave the process running after this one exits (own process group, no watchdog). */
  detached: boolean;
  healthTimeoutMs: number;
  /** SIGTERM → SIGKILL grace period. */
  graceMs: number;
  log(line: string): void;
  tools?: EnsureToolOptions;
}

export interface PidRecord {
  pid: number;
  startTime: string | null;
  command: string;
  port: number;
  ports: Record<string, number>;
  ownerPid: number;
  detached: boolean;
  startedAt: string;
  logFile: string;
}

export interface RunningService {
  name: ServiceName;
  label: string;
  host: string;
  port: number;
  ports: Record<string, number>;
  /** Null when an unrelated process already served the port. */
  pid: number | null;
  /** True when this call started it (and stop() will end it). */
  owned: boolean;
  logFile: string;
  stop(): Promise<void>;
}

export function pidFile(stateDir: string, name: ServiceName): string {
  return path.join(stateDir, `${name}.pid`);
}

export function readPidRecord(file: string): PidRecord | null {
  try {
    const record = JSON.parse(fs.readFileSync(file, 'utf8')) as PidRecord;
    return typeof record.pid === 'number' ? record : null;
  } catch {
    return null;
  }
}

/** True when the pid file names a live process that is still the one we started. */
export function isRecordAlive(record: PidRecord): boolean {
  return isSameProcess({ pid: record.pid, startTime: record.startTime, command: record.command });
}

/**
 * Starts a service (or, for 'dev', reuses the one already healthy on its port) and waits for
 * its health check.
 */
export async function launchService(
  def: ServiceDefinition,
  ctx: ServiceContext,
): Promise<RunningService> {
  fs.mkdirSync(ctx.stateDir, { recursive: true });
  if (ctx.profile !== 'dev') return start(def, ctx);
  return withFileLock(path.join(ctx.stateDir, `${def.name}.lock`), () => startOrReuse(def, ctx), {
    timeoutMs: ctx.healthTimeoutMs + 60_000,
    what: `${def.label} start-up by another process`,
  });
}

async function startOrReuse(def: ServiceDefinition, ctx: ServiceContext): Promise<RunningService> {
  const file = pidFile(ctx.stateDir, def.name);
  const record = readPidRecord(file);
  if (record && isRecordAlive(record)) {
    if (record.port !== def.port) {
      throw new InfraError(
        `${def.label} from an earlier dev run is still running (pid ${record.pid}) on port ` +
          `${record.port}, but port ${def.port} was asked for. Stop it first ` +
          `(node --import tsx scripts/infra/cli.ts down) or use port ${record.port}.`,
      );
    }
    await waitHealthy(def, ctx, { file: record.logFile, offset: 0 }, null, record.pid);
    ctx.log(`${def.label}: reusing pid ${record.pid} on ${def.host}:${def.port}`);
    return handle(def, { ...record, ports: { ...def.ports, ...record.ports } }, false, ctx);
  }
  if (record || fs.existsSync(file)) {
    ctx.log(`${def.label}: removing stale pid file ${file}`);
    fs.rmSync(file, { force: true });
  }
  if (await isPortOpen(def.port, def.host)) {
    const problem = await probe(def, 3000);
    if (problem !== null) {
      throw new InfraError(
        `Port ${def.host}:${def.port} is in use by a program that is not a healthy ` +
          `${def.label} (${problem}). Stop that program or set ${def.portVariable}.`,
      );
    }
    ctx.log(`${def.label}: reusing the server already on ${def.host}:${def.port} (not ours)`);
    return {
      name: def.name,
      label: def.label,
      host: def.host,
      port: def.port,
      ports: def.ports,
      pid: null,
      owned: false,
      logFile: '',
      stop: async () => {},
    };
  }
  return start(def, ctx);
}

async function start(def: ServiceDefinition, ctx: ServiceContext): Promise<RunningService> {
  const binary = await ensureTool(def.tool, { log: ctx.log, ...ctx.tools });
  const logFile = path.join(ctx.stateDir, `${def.name}.log`);
  const out = fs.openSync(logFile, 'a');
  const offset = fs.fstatSync(out).size; // messages show this start's output only
  fs.writeSync(out, `\n# ${new Date().toISOString()} ${binary} ${def.args.join(' ')}\n`);
  let child: ChildProcess;
  try {
    child = spawn(binary, def.args, {
      cwd: ctx.stateDir,
      env: { ...process.env, ...def.env },
      stdio: ['ignore', out, out],
      detached: ctx.detached,
    });
  } finally {
    fs.closeSync(out);
  }
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, sig) => resolve(sig ? `signal ${sig}` : `exit code ${code}`));
    child.once('error', (error) => resolve(errorMessage(error)));
  });
  child.unref();
  const pid = child.pid;
  if (pid === undefined) {
    throw new InfraError(`${def.label} could not be started (${await exited}). Binary: ${binary}`);
  }
  const record: PidRecord = {
    pid,
    startTime: processStartTime(pid),
    command: binary,
    port: def.port,
    ports: def.ports,
    ownerPid: process.pid,
    detached: ctx.detached,
    startedAt: new Date().toISOString(),
    logFile,
  };
  fs.writeFileSync(pidFile(ctx.stateDir, def.name), `${JSON.stringify(record, null, 2)}\n`);
  const watchdog = ctx.detached ? null : startWatchdog(pid, ctx.graceMs);
  if (!ctx.detached) attached.add(pid);
  const running = handle(def, record, true, ctx, watchdog, exited);
  try {
    await waitHealthy(def, ctx, { file: logFile, offset }, exited, pid);
  } catch (error) {
    await running.stop();
    throw error;
  }
  return running;
}

function handle(
  def: ServiceDefinition,
  record: PidRecord,
  owned: boolean,
  ctx: ServiceContext,
  watchdog: number | null = null,
  exited?: Promise<string>,
): RunningService {
  let stopping: Promise<void> | null = null;
  return {
    name: def.name,
    label: def.label,
    host: def.host,
    port: record.port,
    ports: record.ports,
    pid: record.pid,
    owned,
    logFile: record.logFile,
    stop: () => {
      if (!owned) return Promise.resolve();
      stopping ??= (async () => {
        if (watchdog !== null) signal(watchdog, 'SIGKILL');
        if (isRecordAlive(record)) await terminate(record.pid, ctx.graceMs);
        if (exited) await withTimeout(exited, 2000); // let 'exit' reach us (reaped)
        attached.delete(record.pid);
        const file = pidFile(ctx.stateDir, def.name);
        if (readPidRecord(file)?.pid === record.pid) fs.rmSync(file, { force: true });
      })();
      return stopping;
    },
  };
}

/** Retries the health check for up to `ms`; null when healthy, else the last problem. */
async function probe(def: ServiceDefinition, ms: number): Promise<string | null> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      await def.check();
      return null;
    } catch (error) {
      if (Date.now() > deadline || isInfraError(error)) return errorMessage(error);
    }
    await sleep(200);
  }
}

interface LogRef {
  file: string;
  offset: number;
}

async function waitHealthy(
  def: ServiceDefinition,
  ctx: ServiceContext,
  logFile: LogRef,
  exited: Promise<string> | null,
  pid: number | null,
): Promise<void> {
  const deadline = Date.now() + ctx.healthTimeoutMs;
  let exitReason: string | null = null;
  void exited?.then((reason) => (exitReason = reason));
  let lastError: string | undefined;
  for (;;) {
    if (exitReason !== null || (pid !== null && !exited && !isAlive(pid))) {
      throw new InfraError(
        `${def.label} exited (${exitReason ?? 'process gone'}) before becoming healthy on ` +
          `${def.host}:${def.port}.${logHint(logFile)}`,
      );
    }
    try {
      await def.check();
      return;
    } catch (error) {
      if (isInfraError(error)) throw error;
      lastError = errorMessage(error);
    }
    if (Date.now() > deadline) break;
    await sleep(200);
  }
  throw new InfraError(
    `${def.label} did not become healthy on ${def.host}:${def.port} within ` +
      `${Math.round(ctx.healthTimeoutMs / 1000)}s (last check: ${lastError ?? 'none'}).${logHint(logFile)}`,
  );
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function logHint({ file, offset }: LogRef): string {
  const tail = tailFile(file, 30, offset);
  return ` Log: ${file}${tail ? `\n--- last lines of ${path.basename(file)} ---\n${tail}` : ''}`;
}

/**
 * A tiny shell loop that ends the service if this process dies without calling stop()
 * (SIGKILL, crash): child processes must not outlive their parent.
 */
function startWatchdog(childPid: number, graceMs: number): number | null {
  const script = [
    'owner=$1; child=$2; grace=$3',
    'while kill -0 "$owner" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 1; done',
    'kill -0 "$child" 2>/dev/null || exit 0',
    'kill -TERM "$child" 2>/dev/null; i=0',
    'while kill -0 "$child" 2>/dev/null && [ "$i" -lt "$grace" ]; do sleep 1; i=$((i+1)); done',
    'kill -KILL "$child" 2>/dev/null; exit 0',
  ].join('\n');
  try {
    const watchdog = spawn(
      '/bin/sh',
      [
        '-c',
        script,
        'line-ai-watchdog',
        String(process.pid),
        String(childPid),
        String(Math.ceil(graceMs / 1000)),
      ],
      { detached: true, stdio: 'ignore' },
    );
    watchdog.once('error', () => {});
    watchdog.unref();
    return watchdog.pid ?? null;
  } catch {
    return null;
  }
}

/** Attached children get SIGTERM when this process exits normally (the watchdog does the rest). */
const attached = new Set<number>();
process.once('exit', () => {
  for (const pid of attached) signal(pid, 'SIGTERM');
});
