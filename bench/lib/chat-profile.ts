import path from 'node:path';
import { summarizeProfiles } from './cpu-profile';
import { printTable } from './report';
import { CPU_PROF_DIR } from './chat-settings';

/** Prints and returns the CPU profiles' summary per profiled role (BENCH_CPU_PROF). */
export function profileReport(out: NodeJS.WriteStream) {
  const report: Record<string, ReturnType<typeof summarizeProfiles>> = {};
  for (const role of ['worker', 'plain']) {
    const summary = summarizeProfiles(path.join(CPU_PROF_DIR, role));
    if (summary.files === 0) continue;
    report[role] = summary;
    out.write(
      `\nCPU profile, ${role} (${summary.files} thread profile(s); JavaScript busy ` +
        `${summary.busyMs} ms; self time by module)\n\n`,
    );
    printTable(
      summary.modules
        .slice(0, 15)
        .map((m) => ({ module: m.name, 'self ms': m.selfMs, share: m.share })),
    );
    out.write('\n');
    printTable(
      summary.functions
        .slice(0, 20)
        .map((f) => ({ function: f.name, 'self ms': f.selfMs, share: f.share })),
    );
  }
  return report;
}
