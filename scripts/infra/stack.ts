import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { errorMessage, InfraError } from './errors';
import { minioService, type S3Settings } from './minio';
import { profileDir, repoRoot, type Profile } from './paths';
import {
  createDatabase,
  databaseName,
  DEFAULT_SERVER_URL,
  dropDatabase,
  dropStaleTestDatabases,
  ensurePostgres,
  migrateDatabase,
  newTestDatabaseName,
  TEST_DATABASE_PREFIX,
  type MigrateResult,
} from './postgres';
import { freePorts } from './ports';
import { isSameProcess, processStartTime, signal, terminate } from './proc';
import {
  isRecordAlive,
  launchService,
  pidFile,
  readPidRecord,
  type RunningService,
  type ServiceContext,
  type ServiceDefinition,
  type ServiceName,
} from './service';
import { stripeMockService } from './stripe-mock';
import { temporalService } from './temporal';
import type { EnsureToolOptions } from './tools';

export interface StackPorts {
  temporal: number;
  temporalUi: number;
  minio: number;
  minioConsole: number;
  stripeMock: number;
  stripeMockHttps: number;
}

/** Fixed ports of the dev profile; each can be moved with the variable in PORT_VARIABLES. */
export const DEV_PORTS: StackPorts = {
  temporal: 7233,
  temporalUi: 8233,
  minio: 9000,
  minioConsole: 9001,
  stripeMock: 12111,
  stripeMockHttps: 12112,
};

export const PORT_VARIABLES: Record<keyof StackPorts, string> = {
  temporal: 'TEMPORAL_PORT',
  temporalUi: 'TEMPORAL_UI_PORT',
  minio: 'MINIO_PORT',
  minioConsole: 'MINIO_CONSOLE_PORT',
  stripeMock: 'STRIPE_MOCK_PORT',
  stripeMockHttps: 'STRIPE_MOCK_HTTPS_PORT',
};

export const DEV_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/line_ai';
export const ALL_SERVICES: readonly ServiceName[] = ['temporal', 'minio', 'stripe-mock'];

export interface DatabaseStackOptions {
  /**
   * dev: the application database (created if missing). Default DATABASE_URL, else
   * DEV_DATABASE_URL. test: any URL on the server that gets a fresh database. Default
   * DATABASE_URL, else DEFAULT_SERVER_URL.
   */
  url?: string;
  /** test only: name of the fresh database (default newTestDatabaseName()). */
  name?: string;
  /** Run `prisma migrate deploy` (default true). */
  migrate?: boolean;
  /** test only: drop the fresh database in stop() (default: unless KEEP_TEST_DB=1). */
  dropOnStop?: boolean;
}

export interface StartStackOptions {
  /** Default `.stack/<profile>` (test: a per-run directory below `.stack/test/runs/`). */
  stateDir?: string;
  /** dev: defaults DEV_PORTS or the PORT_VARIABLES; test: free ports from the kernel. */
  ports?: Partial<StackPorts>;
  host?: string;
  services?: readonly ServiceName[];
  /** false: no PostgreSQL work (DATABASE_URL is then absent from env). */
  database?: DatabaseStackOptions | false;
  /** dev defaults: MINIO_ROOT_USER / MINIO_ROOT_PASSWORD or fixed local values; test: random. */
  s3?: Partial<Omit<S3Settings, 'endpoint'>>;
  namespace?: string;
  /** Temporal state: 'file' (SQLite in the state dir, default) or 'memory'. */
  temporalStore?: 'file' | 'memory';
  /** The codec endpoint the Temporal Web UI decodes sealed payloads with (api/routes/codec.ts). */
  temporalUiCodecEndpoint?: string;
  /** Keep services running after this process exits (for `cli.ts up`). Default false. */
  detached?: boolean;
  healthTimeoutMs?: number;
  graceMs?: number;
  /** test: keep the run directory (data, logs) after stop(). Default: KEEP_TEST_STACK=1. */
  keepData?: boolean;
  log?: (line: string) => void;
  /** Where defaults are read from (DATABASE_URL, ports, credentials). Default process.env. */
  env?: NodeJS.ProcessEnv;
  tools?: EnsureToolOptions;
}

export interface StackDatabase {
  url: string;
  name: string;
  /** True when this stack created it. */
  created: boolean;
  migrations: MigrateResult | null;
}

export interface Stack {
  profile: Profile;
  stateDir: string;
  /** DATABASE_URL, TEMPORAL_*, S3_*, STRIPE_API_BASE_URL for the services started. */
  env: Record<string, string>;
  services: RunningService[];
  database: StackDatabase | null;
  /** SIGTERM then SIGKILL after the grace period; drops a test database. Idempotent. */
  stop(): Promise<void>;
}

const defaultLog = (line: string) => process.stderr.write(`[infra] ${line}\n`);

export async function startStack(
  profile: Profile,
  options: StartStackOptions = {},
): Promise<Stack> {
  const source = options.env ?? process.env;
  const log = options.log ?? defaultLog;
  const host = options.host ?? '127.0.0.1';
  const wanted = options.services ?? ALL_SERVICES;
  const testRoot = profileDir('test');
  const abandonedDatabases = profile === 'test' ? cleanupStaleTestRuns(testRoot, log) : [];
  const stateDir = path.resolve(
    options.stateDir ??
      (profile === 'test'
        ? path.join(testRoot, 'runs', `${Date.now()}-${process.pid}`)
        : profileDir(profile)),
  );
  fs.mkdirSync(stateDir, { recursive: true });
  if (profile === 'test') {
    const owner = { pid: process.pid, startTime: processStartTime(process.pid) };
    fs.writeFileSync(path.join(stateDir, 'owner.json'), JSON.stringify(owner));
  }
  const ctx: ServiceContext = {
    profile,
    stateDir,
    detached: options.detached ?? false,
    healthTimeoutMs: options.healthTimeoutMs ?? 45_000,
    graceMs: options.graceMs ?? 5000,
    log,
    tools: options.tools,
  };
  const s3: Omit<S3Settings, 'endpoint'> = {
    bucket: options.s3?.bucket ?? source.S3_BUCKET ?? 'line-ai-stamps',
    region: options.s3?.region ?? source.S3_REGION ?? 'us-east-1',
    accessKeyId:
      options.s3?.accessKeyId ??
      (profile === 'test'
        ? `test-${crypto.randomBytes(6).toString('hex')}`
        : (source.MINIO_ROOT_USER ?? 'line-ai-dev')),
    secretAccessKey:
      options.s3?.secretAccessKey ??
      (profile === 'test'
        ? crypto.randomBytes(24).toString('base64url')
        : (source.MINIO_ROOT_PASSWORD ?? 'line-ai-dev-secret')),
  };
  const namespace = options.namespace ?? 'default';

  const build = (name: ServiceName, ports: StackPorts): ServiceDefinition => {
    switch (name) {
      case 'temporal':
        return temporalService({
          host,
          port: ports.temporal,
          uiPort: ports.temporalUi,
          dbFile: options.temporalStore === 'memory' ? null : path.join(stateDir, 'temporal.db'),
          namespace,
          uiCodecEndpoint: options.temporalUiCodecEndpoint,
        });
      case 'minio':
        return minioService({
          host,
          port: ports.minio,
          consolePort: ports.minioConsole,
          dataDir: path.join(stateDir, 'minio'),
          s3,
        });
      case 'stripe-mock':
        return stripeMockService({
          host,
          port: ports.stripeMock,
          httpsPort: ports.stripeMockHttps,
        });
    }
  };

  const launch = async (name: ServiceName): Promise<RunningService> => {
    // Test ports come from the kernel; a port taken between probe and bind gets one retry.
    for (let attempt = 1; ; attempt++) {
      const ports = await choosePorts(profile, options.ports, source);
      try {
        return await launchService(build(name, ports), ctx);
      } catch (error) {
        const clash = /address already in use|port is already in use/i.test(errorMessage(error));
        if (profile !== 'test' || !clash || attempt >= 3 || options.ports) throw error;
      }
    }
  };

  const services: RunningService[] = [];
  let database: StackDatabase | null = null;
  const dbOptions = options.database === false ? null : (options.database ?? {});
  const dropOnStop = profile === 'test' && (dbOptions?.dropOnStop ?? source.KEEP_TEST_DB !== '1');

  const tasks: Promise<unknown>[] = wanted.map((name) =>
    launch(name).then((service) => services.push(service)),
  );
  if (dbOptions) {
    tasks.push(
      prepareDatabase(profile, dbOptions, source, log, {
        stateDir,
        abandoned: abandonedDatabases,
        dropOnStop,
      }).then((db) => (database = db)),
    );
  }
  const results = await Promise.allSettled(tasks);
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));

  let stopping: Promise<void> | null = null;
  const stopAll = (removeDir: boolean) =>
    (stopping ??= (async () => {
      const errors: unknown[] = [];
      await Promise.all(services.map((s) => s.stop().catch((e: unknown) => errors.push(e))));
      const db = database as StackDatabase | null;
      if (db?.created && dropOnStop) {
        await dropDatabase(db.name, { serverUrl: db.url }).catch((e: unknown) => errors.push(e));
      }
      if (removeDir) {
        fs.rmSync(stateDir, { recursive: true, force: true });
      }
      if (errors.length > 0) {
        throw new InfraError(
          `Stopping the ${profile} stack: ${errors.map(errorMessage).join('; ')}`,
        );
      }
    })());

  const keep = options.keepData ?? source.KEEP_TEST_STACK === '1';
  const stop = () => stopAll(profile === 'test' && !keep && !options.stateDir);
  if (failures.length > 0) {
    // Keep the state directory: the error names log files in it.
    await stopAll(false).catch(() => {});
    if (failures.length === 1) throw failures[0];
    throw new InfraError(failures.map(errorMessage).join('\n\n'));
  }

  services.sort((a, b) => ALL_SERVICES.indexOf(a.name) - ALL_SERVICES.indexOf(b.name));
  const env: Record<string, string> = {};
  const db = database as StackDatabase | null;
  if (db) env.DATABASE_URL = db.url;
  for (const service of services) {
    const base = `http://${service.host}:${service.port}`;
    if (service.name === 'temporal') {
      env.TEMPORAL_ADDRESS = `${service.host}:${service.port}`;
      env.TEMPORAL_NAMESPACE = namespace;
      env.TEMPORAL_UI_URL = `http://${service.host}:${service.ports.ui ?? service.port + 1000}`;
    } else if (service.name === 'minio') {
      Object.assign(env, {
        S3_ENDPOINT: base,
        S3_BUCKET: s3.bucket,
        S3_REGION: s3.region,
        S3_ACCESS_KEY_ID: s3.accessKeyId,
        S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      });
    } else {
      env.STRIPE_API_BASE_URL = base;
    }
  }
  if (profile === 'dev') {
    fs.writeFileSync(path.join(stateDir, 'env.json'), `${JSON.stringify(env, null, 2)}\n`, {
      mode: 0o600,
    });
  }
  return { profile, stateDir, env, services, database, stop };
}

async function choosePorts(
  profile: Profile,
  given: Partial<StackPorts> | undefined,
  source: NodeJS.ProcessEnv,
): Promise<StackPorts> {
  const keys = Object.keys(DEV_PORTS) as (keyof StackPorts)[];
  const ports = { ...DEV_PORTS };
  if (profile === 'test') {
    const free = await freePorts(keys.length);
    keys.forEach((key, i) => (ports[key] = free[i] as number));
  } else {
    for (const key of keys) {
      const raw = source[PORT_VARIABLES[key]];
      if (raw === undefined || raw === '') continue;
      const port = Number(raw);
      if (!Number.isInteger(port) || port < 1 || port > 65535) {
        throw new InfraError(`${PORT_VARIABLES[key]} must be a TCP port, got "${raw}"`);
      }
      ports[key] = port;
    }
  }
  return { ...ports, ...given };
}

async function prepareDatabase(
  profile: Profile,
  options: DatabaseStackOptions,
  source: NodeJS.ProcessEnv,
  log: (line: string) => void,
  run: { stateDir: string; abandoned: string[]; dropOnStop: boolean },
): Promise<StackDatabase> {
  let url: string;
  let name: string;
  let created = false;
  if (profile === 'dev') {
    url = options.url ?? source.DATABASE_URL ?? DEV_DATABASE_URL;
    name = databaseName(url);
    await ensurePostgres(url);
    await createDatabase(name, { serverUrl: url, ifNotExists: true });
  } else {
    const serverUrl = options.url ?? source.DATABASE_URL ?? DEFAULT_SERVER_URL;
    await ensurePostgres(serverUrl);
    try {
      for (const old of run.abandoned) await dropDatabase(old, { serverUrl });
      const dropped = await dropStaleTestDatabases({ serverUrl });
      if (dropped.length > 0) log(`dropped ${dropped.length} test database(s) older than a day`);
    } catch (error) {
      log(`could not drop old test databases: ${errorMessage(error)}`);
    }
    name = options.name ?? newTestDatabaseName();
    if (run.dropOnStop) {
      // Recorded first, so that a run killed from here on has its database dropped next time.
      fs.writeFileSync(path.join(run.stateDir, 'database.json'), JSON.stringify({ name }));
    }
    url = await createDatabase(name, { serverUrl });
    created = true;
  }
  const database: StackDatabase = { url, name, created, migrations: null };
  if (options.migrate ?? true) {
    try {
      database.migrations = await migrateDatabase(url);
    } catch (error) {
      if (created) await dropDatabase(name, { serverUrl: url }).catch(() => {});
      throw error;
    }
    if (!database.migrations.applied) log(`migrations skipped: ${database.migrations.reason}`);
  }
  return database;
}

/**
 * Test runs whose owner process is gone (killed jest, crash): end their services and remove
 * their directories. Runs of live owners (a parallel jest) are left alone. Returns the names
 * of the databases those runs created (to be dropped).
 */
export function cleanupStaleTestRuns(
  testRoot: string,
  log: (line: string) => void = defaultLog,
): string[] {
  const runsDir = path.join(testRoot, 'runs');
  const databases: string[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync(runsDir);
  } catch {
    return databases;
  }
  for (const entry of entries) {
    const dir = path.join(runsDir, entry);
    let owner: { pid: number; startTime: string | null } | null = null;
    try {
      owner = JSON.parse(fs.readFileSync(path.join(dir, 'owner.json'), 'utf8'));
    } catch {
      // no owner file: only a very young run may still be writing it
      const age = Date.now() - (fs.statSync(dir, { throwIfNoEntry: false })?.mtimeMs ?? 0);
      if (age < 60_000) continue;
    }
    if (owner && isSameProcess({ pid: owner.pid, startTime: owner.startTime, command: '' })) {
      continue;
    }
    for (const name of ALL_SERVICES) {
      const record = readPidRecord(pidFile(dir, name));
      if (record && isRecordAlive(record)) {
        log(`killing ${name} (pid ${record.pid}) left over from an aborted test run`);
        signal(record.pid, 'SIGKILL');
      }
    }
    try {
      const { name } = JSON.parse(fs.readFileSync(path.join(dir, 'database.json'), 'utf8'));
      if (typeof name === 'string' && name.startsWith(TEST_DATABASE_PREFIX)) databases.push(name);
    } catch {
      // that run created no database
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return databases;
}

/** Stops the services recorded in `.stack/<profile>/` pid files (for `cli.ts down`). */
export async function stopRecordedServices(
  profile: Profile = 'dev',
  options: { stateDir?: string; graceMs?: number; log?: (line: string) => void } = {},
): Promise<void> {
  const stateDir = options.stateDir ?? profileDir(profile);
  const log = options.log ?? defaultLog;
  await Promise.all(
    ALL_SERVICES.map(async (name) => {
      const file = pidFile(stateDir, name);
      const record = readPidRecord(file);
      if (record && isRecordAlive(record)) {
        const how = await terminate(record.pid, options.graceMs ?? 5000);
        log(`${name}: stopped pid ${record.pid}${how === 'kill' ? ' (SIGKILL)' : ''}`);
      } else if (fs.existsSync(file)) {
        log(`${name}: removing stale pid file`);
      }
      fs.rmSync(file, { force: true });
    }),
  );
}

export interface ServiceStatus {
  name: ServiceName;
  pid: number | null;
  running: boolean;
  port: number | null;
  logFile: string | null;
}

export function stackStatus(profile: Profile = 'dev', stateDir = profileDir(profile)) {
  return ALL_SERVICES.map((name): ServiceStatus => {
    const record = readPidRecord(pidFile(stateDir, name));
    return {
      name,
      pid: record?.pid ?? null,
      running: record ? isRecordAlive(record) : false,
      port: record?.port ?? null,
      logFile: record?.logFile ?? null,
    };
  });
}

export { repoRoot };
