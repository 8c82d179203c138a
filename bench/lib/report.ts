import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Output helpers shared by the benchmarks: a plain-text table on stdout and the latest result
 * as JSON in bench/results/<name>.json (kept in the repository, so a change in numbers shows
 * up in review).
 */

export type Cell = string | number | boolean | null | undefined;
export type Row = Record<string, Cell>;

export const RESULTS_DIR = path.resolve(__dirname, '..', 'results');

function show(cell: Cell): string {
  if (cell === null || cell === undefined) return '-';
  if (typeof cell === 'number') {
    if (!Number.isFinite(cell)) return String(cell);
    return Number.isInteger(cell) ? String(cell) : cell.toFixed(cell >= 100 ? 0 : 2);
  }
  return String(cell);
}

/** Formats rows as an aligned table (numbers right-aligned); columns default to the first row's keys. */
export function formatTable(rows: readonly Row[], columns?: readonly string[]): string {
  const cols = columns ?? Object.keys(rows[0] ?? {});
  if (cols.length === 0) return '';
  const cells = rows.map((row) => cols.map((c) => show(row[c])));
  const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((r) => (r[i] ?? '').length)));
  const numeric = cols.map((c) => rows.every((row) => typeof row[c] !== 'string'));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => (numeric[i] ? v.padStart(widths[i] ?? 0) : v.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(cols), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

export function printTable(rows: readonly Row[], columns?: readonly string[]): void {
  process.stdout.write(`${formatTable(rows, columns)}\n`);
}

/** Where and on what the numbers were measured. */
export function environment(): Record<string, string | number> {
  const cpus = os.cpus();
  return {
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    cpu: cpus[0]?.model ?? 'unknown',
    cpus: cpus.length,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
  };
}

/** Writes bench/results/<name>.json (with the time and environment); returns the path. */
export function writeJson(name: string, data: unknown): string {
  if (!/^[a-z0-9][a-z0-9_-]*$/i.test(name)) throw new Error(`bad result name: ${name}`);
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${name}.json`);
  const body = {
    benchmark: name,
    measuredAt: new Date().toISOString(),
    environment: environment(),
    data,
  };
  fs.writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`);
  return file;
}
