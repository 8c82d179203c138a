import fs from 'node:fs';

/** Process helpers built on /proc where available (Linux) and on signal 0 elsewhere. */

export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie answers signal 0 but is gone for every practical purpose.
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/** Kernel start time of a process (clock ticks since boot), to tell a reused pid apart. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null; // field 22 of stat(5); fields[0] is field 3
  } catch {
    return null;
  }
}

function commandLine(pid: number): string | null {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return null;
  }
}

export interface ProcessIdentity {
  pid: number;
  /** From processStartTime(); null when /proc is unavailable. */
  startTime: string | null;
  /** A string the command line must contain (e.g. the binary path). */
  command: string;
}

/** True when `identity` still names the same live process (not a reused pid). */
export function isSameProcess(identity: ProcessIdentity): boolean {
  if (!isAlive(identity.pid)) return false;
  const startTime = processStartTime(identity.pid);
  if (identity.startTime && startTime && startTime !== identity.startTime) return false;
  const cmd = commandLine(identity.pid);
  return cmd === null || cmd.includes(identity.command);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** SIGTERM, wait up to `graceMs`, then SIGKILL; resolves once the process is gone. */
export async function terminate(pid: number, graceMs = 5000): Promise<'term' | 'kill' | 'gone'> {
  if (!signal(pid, 'SIGTERM')) return 'gone';
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return 'term';
    await sleep(50);
  }
  signal(pid, 'SIGKILL');
  const killDeadline = Date.now() + 5000;
  while (isAlive(pid) && Date.now() < killDeadline) await sleep(50);
  return 'kill';
}

export function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

/**
 * Last `lines` lines of a text file written after byte `fromOffset` ('' when missing).
 * Reads at most the last 64 KiB.
 */
export function tailFile(file: string, lines = 30, fromOffset = 0): string {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const start = Math.max(fromOffset, size - 64 * 1024, 0);
      const length = Math.max(size - start, 0);
      const buffer = Buffer.alloc(length);
      fs.readSync(fd, buffer, 0, length, start);
      return buffer.toString('utf8').trim().split('\n').slice(-lines).join('\n');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}
