import fs from 'node:fs';
import path from 'node:path';

/**
 * Where a process's JavaScript CPU went, from the `.cpuprofile` files `node --cpu-prof` writes
 * (one per thread: the worker's main thread runs the activities and the SDK's bridge, its
 * workflow thread(s) the workflow activations). Self time is summed per function and per
 * "module": the npm package, the project's folder, the workflow bundle, Node's internals, or
 * V8's own buckets ((garbage collector), (program): native code outside JavaScript). Time spent
 * on Rust threads (Temporal's core SDK, Prisma's engine if any) is not sampled by V8: compare
 * the profiled total with the process's CPU from /proc to see it.
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  name: string;
  selfMs: number;
  share: number;
}

export interface ProfileSummary {
  files: number;
  /** Sampled wall time covered by the profiles (all threads), ms. */
  sampledMs: number;
  /** Non-idle self time (what JavaScript and V8 used), ms. */
  busyMs: number;
  modules: ProfileEntry[];
  functions: ProfileEntry[];
}

/** The module a script URL belongs to: npm package, project folder, bundle or Node internals. */
export function moduleOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  if (url.includes('workflow-bundle') || url.startsWith('evalmachine'))
    return 'workflow bundle (workflow code + @temporalio/workflow)';
  const file = url.replace(/^file:\/\//, '');
  const root = path.resolve(__dirname, '..', '..');
  if (file.startsWith(root)) return `project: ${path.relative(root, file).split('/')[0]}/`;
  return file;
}

function top(map: Map<string, number>, total: number, n: number): ProfileEntry[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, us]) => ({
      name,
      selfMs: Math.round(us / 100) / 10,
      share: Math.round((us / total) * 1000) / 1000,
    }));
}

/** Sums every `.cpuprofile` in `dir` (all threads of all profiled processes). */
export function summarizeProfiles(dir: string, n = 25): ProfileSummary {
  const files = fs.existsSync(dir)
    ? fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))
    : [];
  const byModule = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let sampled = 0;
  let busy = 0;
  for (const f of files) {
    const profile = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as CpuProfile;
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    profile.samples.forEach((id, i) => {
      const us = profile.timeDeltas[i] ?? 0;
      sampled += us;
      const node = nodes.get(id);
      if (!node) return;
      const { functionName, url, lineNumber } = node.callFrame;
      if (functionName === '(idle)') return;
      busy += us;
      const mod = moduleOf(url, functionName);
      byModule.set(mod, (byModule.get(mod) ?? 0) + us);
      const fn = `${functionName || '(anonymous)'} ${mod}${url ? `:${lineNumber + 1}` : ''}`;
      byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
    });
  }
  return {
    files: files.length,
    sampledMs: Math.round(sampled / 1000),
    busyMs: Math.round(busy / 1000),
    modules: top(byModule, busy || 1, n),
    functions: top(byFunction, busy || 1, n),
  };
}
