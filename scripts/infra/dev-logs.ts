import type { ChildProcess } from 'node:child_process';
import { prettyFactory } from 'pino-pretty';

/**
 * `npm run dev` reads its children's JSON logs (lib/logger.ts; production keeps JSON) and
 * prints each record as one readable line. A stack trace is cut to its first frame: an outage
 * that fails every turn would otherwise fill the terminal with hundreds of frames.
 */
export function prettyLines(colorize: boolean): (line: string) => string {
  const pretty = prettyFactory({
    colorize,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,name',
  });
  return (line) => {
    if (!line.startsWith('{')) return line;
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return line;
    }
    if (typeof record.level !== 'number') return line;
    for (const key of ['err', 'error']) {
      const err = record[key] as { stack?: unknown } | undefined;
      if (err && typeof err === 'object' && typeof err.stack === 'string') {
        const [head, frame] = err.stack.split('\n');
        err.stack = frame ? `${head} ${frame.trim()}` : head;
      }
    }
    return pretty(record).trimEnd();
  };
}

/** Each line of the child's stdout/stderr, prefixed with its name (and made readable). */
export function pipeChildLogs(
  child: ChildProcess,
  name: string,
  format: (line: string) => string,
  onLine?: (line: string) => void,
): void {
  const pipe = (stream: NodeJS.ReadableStream | null, out: NodeJS.WriteStream) => {
    let buffer = '';
    stream?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        onLine?.(line);
        out.write(`[${name}] ${format(line)}\n`);
      }
    });
  };
  pipe(child.stdout, process.stdout);
  pipe(child.stderr, process.stderr);
}
