import fs from 'node:fs';
import os from 'node:os';

/**
 * CPU accounting from /proc (Linux only; elsewhere every figure is null): how many CPU-seconds
 * a set of processes used between two snapshots, and how busy the whole machine was. Lets a
 * benchmark say where the cores went (server, database, workers, load generator).
 */

const TICKS_PER_SECOND = 100; // USER_HZ; 100 on every mainstream Linux build

/** utime + stime of a process in seconds, or null when it is gone or /proc is missing. */
export function processCpuSeconds(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; the rest follows the closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return (utime + stime) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** Busy and total jiffies of the whole machine (all cores), from /proc/stat. */
function machineTicks(): { busy: number; total: number } | null {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const total = v.reduce((a, b) => a + b, 0);
    const idle = (v[3] ?? 0) + (v[4] ?? 0); // idle + iowait
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

export interface CpuSnapshot {
  at: number;
  perPid: Map<number, number>;
  machine: { busy: number; total: number } | null;
}

export function cpuSnapshot(pids: Iterable<number>): CpuSnapshot {
  const perPid = new Map<number, number>();
  for (const pid of pids) {
    const s = processCpuSeconds(pid);
    if (s !== null) perPid.set(pid, s);
  }
  return { at: performance.now(), perPid, machine: machineTicks() };
}

export interface CpuUsage {
  /** Wall seconds between the snapshots. */
  seconds: number;
  /** Per group: CPU-seconds used / wall seconds (1.0 = one core fully busy). */
  cores: Record<string, number>;
  /** Whole machine: busy fraction of all cores (0..1), and the number of cores. */
  machineBusy: number | null;
  machineCores: number;
}

/**
 * Usage per named group of processes between two snapshots. A pid absent from `before` (a
 * process started in between) counts from zero.
 */
export function cpuUsage(
  before: CpuSnapshot,
  after: CpuSnapshot,
  groups: Record<string, readonly number[]>,
): CpuUsage {
  const seconds = (after.at - before.at) / 1000;
  const cores: Record<string, number> = {};
  for (const [name, pids] of Object.entries(groups)) {
    let used = 0;
    for (const pid of pids) {
      const b = before.perPid.get(pid) ?? 0;
      const a = after.perPid.get(pid);
      if (a !== undefined) used += a - b;
    }
    cores[name] = Math.round((used / seconds) * 100) / 100;
  }
  const m =
    before.machine && after.machine
      ? (after.machine.busy - before.machine.busy) / (after.machine.total - before.machine.total)
      : null;
  return {
    seconds: Math.round(seconds * 100) / 100,
    cores,
    machineBusy: m === null ? null : Math.round(m * 100) / 100,
    machineCores: os.cpus().length,
  };
}
