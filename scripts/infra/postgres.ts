import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { errorMessage, InfraError } from './errors';
import { repoRoot } from './paths';
import { sleep } from './proc';

/** Server used when DATABASE_URL is unset (Debian's postgresql package, local trust auth). */
export const DEFAULT_SERVER_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';
export const TEST_DATABASE_PREFIX = 'line_ai_test_';

const INSTALL_HINT =
  'Install and start PostgreSQL (e.g. "apt-get install postgresql" then ' +
  '"pg_ctlcluster 15 main start"), or set DATABASE_URL to a reachable server.';

/** "host:port" of a connection URL, never its credentials. */
export function describeServer(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    const host = url.searchParams.get('host') || url.hostname || 'localhost';
    return `${host}:${url.port || url.searchParams.get('port') || '5432'}`;
  } catch {
    return '(unparsable DATABASE_URL)';
  }
}

/** The URL with its password replaced by "***". */
export function redactUrl(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '(unparsable DATABASE_URL)';
  }
}

/** Same server and credentials, another database. */
export function withDatabase(databaseUrl: string, database: string): string {
  const url = new URL(databaseUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

export function databaseName(databaseUrl: string): string {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.replace(/^\//, ''));
  if (!name) throw new InfraError(`DATABASE_URL names no database: ${redactUrl(databaseUrl)}`);
  return name;
}

function assertIdentifier(name: string): void {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) {
    throw new InfraError(
      `Invalid database name "${name}": use lower-case letters, digits and _ (max 63).`,
    );
  }
}

/**
 * 20 s, not 5: on a loaded machine (two cores running type checks and test stacks) a process's
 * start-up can block its event loop for seconds, and the connect timer then fires before the
 * server's answer is read, reporting a running server as unreachable.
 */
const CONNECT_TIMEOUT_MS = 20_000;

async function connect(databaseUrl: string, timeoutMs = CONNECT_TIMEOUT_MS): Promise<Client> {
  const client = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => {}); // a server going away later must not crash the process
  try {
    await client.connect();
    return client;
  } catch (error) {
    await client.end().catch(() => {});
    throw explain(error, databaseUrl);
  }
}

function explain(error: unknown, databaseUrl: string): Error {
  const where = describeServer(databaseUrl);
  const code = (error as { code?: string }).code;
  if (code === '28P01' || code === '28000') {
    return new InfraError(
      `PostgreSQL at ${where} refused the login (${errorMessage(error)}). ` +
        'Check the user and password in DATABASE_URL.',
    );
  }
  if (code && /^[0-9A-Z]{5}$/.test(code)) return error as Error; // any other SQL error
  return new InfraError(
    `PostgreSQL not reachable at ${where} (${errorMessage(error)}). ${INSTALL_HINT}`,
  );
}

/**
 * Checks that the PostgreSQL server of `databaseUrl` answers. A missing database is fine
 * (the server answered; createDatabase makes it). Throws an InfraError naming host:port.
 */
export async function ensurePostgres(
  databaseUrl: string,
  timeoutMs = CONNECT_TIMEOUT_MS,
): Promise<void> {
  let client: Client;
  try {
    client = await connect(databaseUrl, timeoutMs);
  } catch (error) {
    if ((error as { code?: string }).code === '3D000') return; // database does not exist
    throw error;
  }
  try {
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => {});
  }
}

async function withMaintenance<T>(
  serverUrl: string,
  fn: (client: Client) => Promise<T>,
): Promise<T> {
  const client = await connect(withDatabase(serverUrl, 'postgres'));
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

export interface DatabaseOptions {
  /** Any URL on the server (its database part is ignored). Default DATABASE_URL or local. */
  serverUrl?: string;
}

function serverOf(options: DatabaseOptions): string {
  return options.serverUrl ?? process.env.DATABASE_URL ?? DEFAULT_SERVER_URL;
}

export async function databaseExists(name: string, options: DatabaseOptions = {}) {
  return withMaintenance(serverOf(options), async (client) => {
    const result = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    return (result.rowCount ?? 0) > 0;
  });
}

/** CREATE DATABASE; returns the new database's URL. */
export async function createDatabase(
  name: string,
  options: DatabaseOptions & { ifNotExists?: boolean } = {},
): Promise<string> {
  assertIdentifier(name);
  const serverUrl = serverOf(options);
  await withMaintenance(serverUrl, async (client) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query(`CREATE DATABASE "${name}"`);
        return;
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === '42P04' && options.ifNotExists) return; // duplicate_database
        // "source database template1 is being accessed by other users": concurrent creates
        if (code === '55006' && attempt < 20) {
          await sleep(100 * attempt);
          continue;
        }
        if (code === '42501') {
          throw new InfraError(
            `The DATABASE_URL user may not create databases on ${describeServer(serverUrl)} ` +
              `(needs CREATEDB): ${errorMessage(error)}`,
          );
        }
        throw error;
      }
    }
  });
  return withDatabase(serverUrl, name);
}

/** DROP DATABASE IF EXISTS ... WITH (FORCE): open sessions are ended. */
export async function dropDatabase(name: string, options: DatabaseOptions = {}): Promise<void> {
  assertIdentifier(name);
  await withMaintenance(serverOf(options), async (client) => {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  });
}

/** `line_ai_test_<unix seconds>_<random>`: sortable, and its age is readable from the name. */
export function newTestDatabaseName(now: number = Date.now()): string {
  return `${TEST_DATABASE_PREFIX}${Math.floor(now / 1000)}_${crypto.randomBytes(4).toString('hex')}`;
}

/** Drops test databases (by the time in their name) older than `maxAgeMs`. */
export async function dropStaleTestDatabases(
  options: DatabaseOptions & { maxAgeMs?: number } = {},
): Promise<string[]> {
  const maxAgeMs = options.maxAgeMs ?? 24 * 3600_000;
  const names = await withMaintenance(serverOf(options), async (client) => {
    const result = await client.query<{ datname: string }>(
      "SELECT datname::text FROM pg_database WHERE datname LIKE 'line\\_ai\\_test\\_%'",
    );
    return result.rows.map((r) => r.datname);
  });
  const stale = names.filter((name) => {
    const seconds = Number(/^line_ai_test_(\d+)_/.exec(name)?.[1]);
    return Number.isFinite(seconds) && Date.now() - seconds * 1000 > maxAgeMs;
  });
  for (const name of stale) await dropDatabase(name, options);
  return stale;
}

/** Migration folders (`prisma/migrations/<name>/migration.sql`) in the repository. */
export function listMigrations(root: string = repoRoot): string[] {
  const dir = path.join(root, 'prisma', 'migrations');
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && fs.existsSync(path.join(dir, d.name, 'migration.sql')))
      .map((d) => d.name)
      .sort();
  } catch {
    return [];
  }
}

export type MigrateResult =
  { applied: true; migrations: string[] } | { applied: false; reason: string };

/**
 * `prisma migrate deploy` against `databaseUrl`. With no migrations in the repository yet it
 * does nothing and says why.
 */
export async function migrateDatabase(
  databaseUrl: string,
  options: { root?: string; timeoutMs?: number } = {},
): Promise<MigrateResult> {
  const root = options.root ?? repoRoot;
  const migrations = listMigrations(root);
  if (migrations.length === 0) {
    return { applied: false, reason: 'no migrations in prisma/migrations yet' };
  }
  const prisma = path.join(root, 'node_modules', '.bin', 'prisma');
  const password = safePassword(databaseUrl);
  const { code, output } = await run(
    prisma,
    ['migrate', 'deploy'],
    { cwd: root, env: { ...process.env, DATABASE_URL: databaseUrl } },
    options.timeoutMs ?? 180_000,
  );
  if (code !== 0) {
    const text = password ? output.split(password).join('***') : output;
    throw new InfraError(
      `prisma migrate deploy failed (${code}) on ${describeServer(databaseUrl)}/` +
        `${databaseName(databaseUrl)}:\n${text.trim().split('\n').slice(-30).join('\n')}`,
    );
  }
  return { applied: true, migrations };
}

function safePassword(databaseUrl: string): string {
  try {
    return decodeURIComponent(new URL(databaseUrl).password);
  } catch {
    return '';
  }
}

function run(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
  timeoutMs: number,
): Promise<{ code: string | number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ code: errorMessage(error), output });
    });
    child.once('close', (code, sig) => {
      clearTimeout(timer);
      resolve({ code: sig ? `killed by ${sig}` : (code ?? 'unknown'), output });
    });
  });
}
