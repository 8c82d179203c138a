import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Small helpers shared by the stand-ins (plain node:http, no framework): body reading with a
 * size limit, JSON responses, path patterns, CORS for the inspection endpoints, and a listen /
 * close pair that never leaves keep-alive sockets behind.
 */

export class PayloadTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`request body exceeds ${limit} bytes`);
    this.name = 'PayloadTooLargeError';
  }
}

export async function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer | string>) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buf.length;
    if (size > limit) throw new PayloadTooLargeError(limit);
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

export function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}

export function sendEmpty(
  res: http.ServerResponse,
  status: number,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, headers);
  res.end();
}

/** Matches `/a/:id/b` against a path; returns the decoded parameters or null. */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i] ?? '';
    const g = got[i] ?? '';
    if (w.startsWith(':')) {
      if (!g) return null;
      try {
        params[w.slice(1)] = decodeURIComponent(g);
      } catch {
        return null;
      }
    } else if (w !== g) {
      return null;
    }
  }
  return params;
}

/** `*` or `{name}` segments in a failure-injection path match any one segment. */
export function matchesFailurePath(rulePath: string, path: string): boolean {
  if (rulePath === path) return true;
  const want = rulePath.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return false;
  return want.every((w, i) => w === '*' || /^\{.+\}$/.test(w) || w === got[i]);
}

export const CORS_HEADERS: Record<string, string> = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-allow-headers': 'content-type',
  'access-control-max-age': '600',
};

export function parseJson(
  buf: Buffer,
): { ok: true; value: unknown } | { ok: false; error: SyntaxError } {
  try {
    return { ok: true, value: JSON.parse(buf.toString('utf8')) as unknown };
  } catch (err) {
    return { ok: false, error: err as SyntaxError };
  }
}

/** Line and column (1-based) of a JSON.parse error, derived from its "position N" text. */
export function jsonErrorLocation(
  text: string,
  error: SyntaxError,
): { line: number; column: number } {
  const m = /position (\d+)/.exec(error.message);
  const pos = m ? Number(m[1]) : text.length;
  const before = text.slice(0, pos);
  const lines = before.split('\n');
  return { line: lines.length, column: (lines[lines.length - 1] ?? '').length + 1 };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A bad request to a stand-in's inspection API: answered 400 with its message. */
export class InspectionError extends Error {}

/** An inspection request's JSON object body (`{}` when empty); InspectionError otherwise. */
export async function readJsonObject(
  req: http.IncomingMessage,
  limit: number,
): Promise<Record<string, unknown>> {
  const raw = await readBody(req, limit);
  if (raw.length === 0) return {};
  const parsed = parseJson(raw);
  if (!parsed.ok || !isRecord(parsed.value))
    throw new InspectionError('body must be a JSON object');
  return parsed.value;
}

export interface Listening {
  server: http.Server;
  port: number;
  url: string;
}

export async function listen(
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>,
  port: number,
  host: string,
): Promise<Listening> {
  const server = http.createServer((req, res) => {
    handler(req, res).catch((err: unknown) => {
      if (err instanceof PayloadTooLargeError) {
        sendJson(res, 413, { message: 'Request Entity Too Large' });
        return;
      }
      sendJson(res, 500, { message: `stand-in error: ${(err as Error).message}` });
    });
  });
  // A stand-in must never keep a test process alive through lingering keep-alive sockets.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return { server, port: address.port, url: `http://${urlHost}:${address.port}` };
}

export async function closeServer(server: http.Server): Promise<void> {
  if (!server.listening) return;
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Parses a JSON response from an inspection endpoint, throwing with the body on HTTP errors. */
export async function fetchJson<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, init);
  const text = await res.text();
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url} → ${res.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}
