import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InfraError } from './errors';
import { isSameProcess, processStartTime, sleep } from './proc';

interface LockOwner {
  pid: number;
  startTime: string | null;
  host: string;
  since: string;
}

export interface LockOptions {
  timeoutMs?: number;
  /** Called once when the lock is busy and we start waiting. */
  onWait?: (owner: LockOwner | null) => void;
  /** What the lock protects, for the timeout message. */
  what?: string;
}

/**
 * Runs `fn` while holding an exclusive lock file (O_EXCL create, removed afterwards).
 * A lock whose owner process is gone is stale and taken over, so a crash never wedges it.
 */
export async function withFileLock<T>(
  lockPath: string,
  fn: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const { timeoutMs = 15 * 60_000 } = options;
  fs.mkdirSync(path.dirname(lockPath), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  let waited = false;
  for (;;) {
    if (tryAcquire(lockPath)) break;
    const raw = readRaw(lockPath);
    const owner = parseOwner(raw);
    if (raw !== null && isStale(owner, lockPath)) {
      // Remove only the exact lock we judged stale, not one a competitor just created.
      if (readRaw(lockPath) === raw) fs.rmSync(lockPath, { force: true });
      continue;
    }
    if (!waited) {
      waited = true;
      options.onWait?.(owner);
    }
    if (Date.now() > deadline) {
      throw new InfraError(
        `Timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${options.what ?? 'a lock'} ` +
          `(${lockPath}, held by pid ${owner?.pid ?? '?'}). Remove the file if that process is gone.`,
      );
    }
    await sleep(250);
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockPath, { force: true });
  }
}

function tryAcquire(lockPath: string): boolean {
  const owner: LockOwner = {
    pid: process.pid,
    startTime: processStartTime(process.pid),
    host: os.hostname(),
    since: new Date().toISOString(),
  };
  try {
    fs.writeFileSync(lockPath, JSON.stringify(owner), { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

function readRaw(lockPath: string): string | null {
  try {
    return fs.readFileSync(lockPath, 'utf8');
  } catch {
    return null;
  }
}

function parseOwner(raw: string | null): LockOwner | null {
  if (!raw) return null;
  try {
    return JSON.parse(raw) as LockOwner;
  } catch {
    return null;
  }
}

function isStale(owner: LockOwner | null, lockPath: string): boolean {
  if (!owner || typeof owner.pid !== 'number') {
    // Empty or half-written: being written right now, or its writer crashed mid-write.
    try {
      return Date.now() - fs.statSync(lockPath).mtimeMs > 5000;
    } catch {
      return false;
    }
  }
  if (owner.host !== os.hostname()) return false;
  return !isSameProcess({ pid: owner.pid, startTime: owner.startTime, command: '' });
}
