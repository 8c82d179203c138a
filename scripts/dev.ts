import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig } from '../config';
import { newPayloadKeyEntry } from '../config/payload-keys';
import { taskQueue } from '../config/task-queues';
import { connectTemporal } from '../lib/temporal';
import { startStandIns } from '../stand-ins';
import {
  DEV_PORTS,
  errorMessage,
  isPortOpen,
  PORT_VARIABLES,
  profileDir,
  repoRoot,
  startStack,
} from './infra';
import { pipeChildLogs, prettyLines } from './infra/dev-logs';
import { assertPortsFree, waitForHttpOk, waitForPollers, type PortClaim } from './infra/readiness';

/**
 * `npm run dev`: the embedded local system. Real Temporal dev server (SQLite, Web UI), real
 * PostgreSQL (yours), real MinIO; LINE, the LLM provider and Stripe are local stand-ins unless
 * real credentials are configured in .env. Ctrl-C stops everything it started. "The system is
 * up" is printed only once the API answers /healthz and the worker polls every task queue.
 * DEV_STATE_DIR moves the state directory (default .stack/dev; the readiness test uses a
 * temporary one).
 */

// The AWS SDK's "NodeVersionSupportWarning" is a plain process.emitWarning (type "Warning"), so
// --disable-warning=NodeVersionSupportWarning cannot match it; the SDK's own switch can, and
// the children inherit it (@aws-sdk/core: emitWarningIfUnsupportedVersion).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** Generous: the first start bundles the workflows (seconds) on a busy two-core machine. */
const READY_TIMEOUT_MS = 180_000;

const log = (line: string) => process.stdout.write(`[dev] ${line}\n`);

const LOCAL_SECRETS = [
  'LINE_CHANNEL_SECRET',
  'LINE_CHANNEL_ACCESS_TOKEN',
  'LINE_LOGIN_CHANNEL_SECRET',
  'OPENAI_API_KEY',
  'STRIPE_SECRET_KEY',
  'STRIPE_WEBHOOK_SECRET',
  'ADMIN_TOKEN',
  'PAYLOAD_KEYS',
  'PAYLOAD_KEY_ID',
  'CODEC_TOKEN',
] as const;

/** Random local secrets, generated once and kept in the git-ignored state directory. */
function localSecrets(dir: string): Record<string, string> {
  const file = path.join(dir, 'secrets.json');
  const kept = fs.existsSync(file)
    ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>)
    : {};
  // A state directory from before a secret existed gets the new ones added, the rest kept.
  if (LOCAL_SECRETS.every((name) => kept[name])) return kept;
  const r = (n: number) => crypto.randomBytes(n).toString('hex');
  const secrets = {
    LINE_CHANNEL_SECRET: r(16),
    LINE_CHANNEL_ACCESS_TOKEN: r(32),
    LINE_LOGIN_CHANNEL_SECRET: r(16),
    OPENAI_API_KEY: `sk-local-${r(16)}`,
    STRIPE_SECRET_KEY: `sk_test_${r(16)}`,
    STRIPE_WEBHOOK_SECRET: `whsec_${r(16)}`,
    ADMIN_TOKEN: r(16),
    PAYLOAD_KEYS: newPayloadKeyEntry('local-1', crypto.randomBytes),
    PAYLOAD_KEY_ID: 'local-1',
    CODEC_TOKEN: r(16),
    ...kept,
  };
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

/** Every port this run binds, with the variable that moves it (see assertPortsFree). */
async function portClaims(given: NodeJS.ProcessEnv, standIns: boolean): Promise<PortClaim[]> {
  const num = (name: string, fallback?: number) => (given[name] ? Number(given[name]) : fallback);
  const claims: PortClaim[] = [{ port: num('PORT', 3000)!, variable: 'PORT', what: 'the API' }];
  if (standIns) {
    claims.push(
      {
        port: num('LINE_STAND_IN_PORT', 4010)!,
        variable: 'LINE_STAND_IN_PORT',
        what: 'the LINE stand-in',
      },
      {
        port: num('LLM_STAND_IN_PORT', 4020)!,
        variable: 'LLM_STAND_IN_PORT',
        what: 'the LLM stand-in',
      },
    );
  }
  for (const name of ['METRICS_PORT', 'WORKER_METRICS_PORT', 'WORKER_SDK_METRICS_PORT']) {
    const port = num(name);
    if (port) claims.push({ port, variable: name, what: 'a metrics server' });
  }
  // A service already answering on its main port is reused (an earlier run's, or yours);
  // otherwise all of its ports must be free.
  const groups: Array<[string, Array<keyof typeof DEV_PORTS>]> = [
    ['Temporal', ['temporal', 'temporalUi']],
    ['MinIO', ['minio', 'minioConsole']],
    ['stripe-mock', ['stripeMock', 'stripeMockHttps']],
  ];
  for (const [what, keys] of groups) {
    const ports = keys.map((key) => num(PORT_VARIABLES[key], DEV_PORTS[key])!);
    if (await isPortOpen(ports[0]!)) continue;
    keys.forEach((key, i) => claims.push({ port: ports[i]!, variable: PORT_VARIABLES[key], what }));
  }
  return claims;
}

async function main(): Promise<void> {
  const envFile = path.join(repoRoot, '.env');
  if (fs.existsSync(envFile)) process.loadEnvFile(envFile);
  const given = process.env;
  const dir = given.DEV_STATE_DIR ? path.resolve(given.DEV_STATE_DIR) : profileDir('dev');
  const secrets = localSecrets(dir);

  // Stopping is possible from the first moment: Ctrl-C during start-up ends what has started.
  const closers: Array<() => Promise<void>> = [];
  const children: ChildProcess[] = [];
  let stopping = false;
  const stop = async (code = 0) => {
    if (stopping) return;
    stopping = true;
    log('stopping...');
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(
      children.map((c) => (c.exitCode !== null ? null : new Promise((r) => c.once('exit', r)))),
    );
    for (const close of closers.reverse()) await close().catch(() => {});
    process.exit(code);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());

  const useLineStandIn = !given.LINE_CHANNEL_ACCESS_TOKEN || !given.LINE_CHANNEL_SECRET;
  const useLlmStandIn = !given.OPENAI_API_KEY;
  await assertPortsFree(await portClaims(given, useLineStandIn || useLlmStandIn));

  const port = given.PORT || '3000';
  // The Web UI (in the browser) decodes sealed payloads through the API's codec endpoint; the
  // UI cannot send a header, so the codec token is in the path (api/routes/codec.ts).
  const codecToken = given.CODEC_TOKEN || (secrets.CODEC_TOKEN as string);
  const stack = await startStack('dev', {
    log,
    stateDir: dir,
    temporalUiCodecEndpoint: `http://127.0.0.1:${port}/codec/${codecToken}`,
  });
  closers.push(() => stack.stop());
  const env: Record<string, string> = {
    NODE_ENV: 'development',
    LOCAL_STAND_INS: 'false',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...stack.env,
  };
  for (const name of LOCAL_SECRETS) env[name] = given[name] || (secrets[name] as string);

  // Without real LINE and LLM credentials, the local stand-ins answer instead.
  if (useLineStandIn || useLlmStandIn) {
    const standIns = await startStandIns({
      line: {
        channelAccessToken: env.LINE_CHANNEL_ACCESS_TOKEN!,
        port: Number(given.LINE_STAND_IN_PORT ?? 4010),
      },
      llm: {
        apiKey: env.OPENAI_API_KEY!,
        port: Number(given.LLM_STAND_IN_PORT ?? 4020),
        latencyMs: Number(given.LLM_STAND_IN_LATENCY_MS ?? 300),
      },
    });
    closers.push(() => standIns.close());
    if (useLineStandIn) {
      env.LINE_API_BASE_URL = standIns.env.LINE_API_BASE_URL;
      env.LINE_DATA_API_BASE_URL = standIns.env.LINE_DATA_API_BASE_URL;
      env.LINE_LOGIN_JWKS_URL ??= standIns.env.LINE_LOGIN_JWKS_URL;
      log(`LINE: no LINE credentials configured: using the local stand-in at ${standIns.line.url}`);
    }
    if (useLlmStandIn) {
      env.OPENAI_BASE_URL = standIns.env.OPENAI_BASE_URL;
      log(`LLM: no OPENAI_API_KEY configured: using the local stand-in at ${standIns.llm.baseURL}`);
    }
    env.LOCAL_STAND_INS = 'true';
  }
  if (!given.STRIPE_SECRET_KEY) {
    log(`Stripe: no STRIPE_SECRET_KEY configured: using stripe-mock at ${env.STRIPE_API_BASE_URL}`);
  } else if (given.STRIPE_API_BASE_URL) {
    env.STRIPE_API_BASE_URL = given.STRIPE_API_BASE_URL;
  } else {
    delete env.STRIPE_API_BASE_URL;
  }

  const childEnv = { ...process.env, ...env };
  const config = loadConfig(childEnv); // fail here, once, with a clear message
  const format = prettyLines(Boolean(process.stdout.isTTY) && !given.NO_COLOR);
  const exits = new Map<string, string>();
  const spawned: Record<string, ChildProcess> = {};
  for (const [name, script] of [
    ['worker', 'workers/main.ts'],
    ['api', 'api/server.ts'],
  ] as const) {
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: repoRoot,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    pipeChildLogs(child, name, format);
    child.on('exit', (code, signal) => {
      exits.set(name, `${name} exited (${signal ?? code})`);
      if (!stopping) {
        log(`${name} exited (${signal ?? code}); stopping`);
        void stop(1);
      }
    });
    children.push(child);
    spawned[name] = child;
  }

  // Ready means: the API answers /healthz (PostgreSQL, Temporal, S3 reachable) and the worker
  // polls the workflow and activity side of every task queue it serves.
  const api = `http://127.0.0.1:${config.env.PORT}`;
  const gone = () => (exits.size > 0 ? [...exits.values()].join('; ') : null);
  const started = Date.now();
  const temporal = await connectTemporal(config.env);
  try {
    await Promise.all([
      waitForHttpOk(`${api}/healthz`, { timeoutMs: READY_TIMEOUT_MS, gone }),
      waitForPollers(
        temporal,
        config.env.TEMPORAL_NAMESPACE,
        config.env.WORKER_QUEUES.map((q) => taskQueue(config.env.TASK_QUEUE_PREFIX, q)),
        spawned.worker!.pid!,
        { timeoutMs: READY_TIMEOUT_MS, gone },
      ),
    ]);
  } catch (error) {
    if (stopping) return;
    log(`not ready: ${errorMessage(error)}`);
    return stop(1);
  } finally {
    await temporal.connection.close();
  }
  if (stopping) return;

  log('');
  log(`The system is up (ready in ${((Date.now() - started) / 1000).toFixed(1)} s after start):`);
  log(`  Start page        ${api}/  (links to everything below)`);
  log(`  API               ${api}  (health: ${api}/healthz, metrics: ${api}/metrics)`);
  log(`  LINE webhook      ${api}/webhooks/line`);
  log(`  Stripe webhook    ${api}/webhooks/stripe`);
  log(
    `  LINE simulator    ${api}/dev` +
      (env.LOCAL_STAND_INS === 'true'
        ? ''
        : '  (needs the LINE stand-in: not with real LINE credentials)'),
  );
  log(`  Admin console     ${api}/admin/usage  (ADMIN_TOKEN in the local secrets)`);
  log(`  Temporal Web UI   ${config.env.TEMPORAL_UI_URL}`);
  log(`  Temporal gRPC     ${config.env.TEMPORAL_ADDRESS}`);
  log(`  S3 (MinIO)        ${config.env.S3_ENDPOINT}  bucket ${config.env.S3_BUCKET}`);
  log(`  Local secrets     ${path.join(dir, 'secrets.json')} (admin token, webhook secrets)`);
  log('Press Ctrl-C to stop.');
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : `dev: ${errorMessage(err)}`);
  process.exit(1);
});
