import net from 'node:net';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { errorMessage, InfraError } from './errors';
import { sleep } from './proc';

/** A port a dev run binds, and the variable that moves it (named when the port is busy). */
export interface PortClaim {
  port: number;
  variable: string;
  /** What listens there, e.g. "the API". */
  what: string;
  host?: string;
}

/** True when this process could listen on host:port right now. */
export function canBind(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * Checks every port before anything starts, so that a second `npm run dev` says which port is
 * taken and which variable moves it, instead of a child dying with a bare EADDRINUSE.
 */
export async function assertPortsFree(claims: readonly PortClaim[]): Promise<void> {
  const busy: string[] = [];
  for (const claim of claims) {
    if (!(await canBind(claim.port, claim.host))) {
      busy.push(
        `port ${claim.port} (${claim.what}) is busy: set ${claim.variable}=<another port> ` +
          `to move it`,
      );
    }
  }
  if (busy.length > 0) {
    throw new InfraError(
      `${busy.join('\n')}\n(Is another \`npm run dev\` running? Stop it with Ctrl-C, or move ` +
        'the ports above.)',
    );
  }
}

export interface WaitOptions {
  timeoutMs: number;
  /** Checked between attempts: a reason stops the wait at once (e.g. the process exited). */
  gone?: () => string | null;
}

/** Waits until GET url answers 2xx; the last problem is in the error. */
export async function waitForHttpOk(url: string, options: WaitOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let last: string;
  for (;;) {
    const gone = options.gone?.();
    if (gone) throw new InfraError(`${url} never answered: ${gone}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
      if (res.ok) return;
      last = `HTTP ${res.status} ${(await res.text()).slice(0, 200)}`;
    } catch (error) {
      last = errorMessage(error);
    }
    if (Date.now() > deadline) {
      throw new InfraError(`${url} not ready within ${options.timeoutMs / 1000}s (${last})`);
    }
    await sleep(250);
  }
}

const { TaskQueueType } = temporal.api.enums.v1;

/**
 * Waits until a worker of the given process polls both the workflow and the activity side of
 * each task queue. The poller list also remembers workers of earlier runs for a few minutes,
 * so only pollers whose identity is this worker's (`<pid>@<host>`, the SDK default) count.
 */
export async function waitForPollers(
  client: Client,
  namespace: string,
  queues: readonly string[],
  workerPid: number,
  options: WaitOptions,
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  const ours = (identity: string | null | undefined) =>
    typeof identity === 'string' && identity.startsWith(`${workerPid}@`);
  const missing = new Set(queues.flatMap((q) => [`${q}/workflow`, `${q}/activity`] as const));
  for (;;) {
    const gone = options.gone?.();
    if (gone) throw new InfraError(`the worker stopped before polling: ${gone}`);
    for (const entry of [...missing]) {
      const [name, side] = entry.split('/') as [string, 'workflow' | 'activity'];
      const { pollers } = await client.workflowService.describeTaskQueue({
        namespace,
        taskQueue: { name },
        taskQueueType:
          side === 'workflow'
            ? TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW
            : TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
      });
      if (pollers?.some((p) => ours(p.identity))) missing.delete(entry);
    }
    if (missing.size === 0) return;
    if (Date.now() > deadline) {
      throw new InfraError(
        `the worker (pid ${workerPid}) is not polling ${[...missing].join(', ')} within ` +
          `${options.timeoutMs / 1000}s`,
      );
    }
    await sleep(500);
  }
}
