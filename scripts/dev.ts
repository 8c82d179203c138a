import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig } from '../config';
import { newPayloadKeyEntry } from '../config/payload-keys';
import { startStandIns } from '../stand-ins';
import { errorMessage, profileDir, repoRoot, startStack } from './infra';

/**
 * `npm run dev`: the embedded local system. Real Temporal dev server (SQLite, Web UI), real
 * PostgreSQL (yours), real MinIO; LINE, the LLM provider and Stripe are local stand-ins unless
 * real credentials are configured in .env. Ctrl-C stops everything it started.
 */

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

function prefixed(child: ChildProcess, name: string): void {
  const pipe = (stream: NodeJS.ReadableStream | null, out: NodeJS.WriteStream) => {
    let buffer = '';
    stream?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) out.write(`[${name}] ${line}\n`);
    });
  };
  pipe(child.stdout, process.stdout);
  pipe(child.stderr, process.stderr);
}

async function main(): Promise<void> {
  const envFile = path.join(repoRoot, '.env');
  if (fs.existsSync(envFile)) process.loadEnvFile(envFile);
  const dir = profileDir('dev');
  const given = process.env;
  const secrets = localSecrets(dir);

  const port = given.PORT || '3000';
  // The Web UI (in the browser) decodes sealed payloads through the API's codec endpoint; the
  // UI cannot send a header, so the codec token is in the path (api/routes/codec.ts).
  const codecToken = given.CODEC_TOKEN || (secrets.CODEC_TOKEN as string);
  const stack = await startStack('dev', {
    log,
    temporalUiCodecEndpoint: `http://127.0.0.1:${port}/codec/${codecToken}`,
  });
  const env: Record<string, string> = {
    NODE_ENV: 'development',
    LOCAL_STAND_INS: 'false',
    ...stack.env,
  };
  for (const name of LOCAL_SECRETS) env[name] = given[name] || (secrets[name] as string);

  // Without real LINE and LLM credentials, the local stand-ins answer instead.
  const closers: Array<() => Promise<void>> = [];
  const useLineStandIn = !given.LINE_CHANNEL_ACCESS_TOKEN || !given.LINE_CHANNEL_SECRET;
  const useLlmStandIn = !given.OPENAI_API_KEY;
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
  const children: ChildProcess[] = [];
  for (const [name, script] of [
    ['worker', 'workers/main.ts'],
    ['api', 'api/server.ts'],
  ] as const) {
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: repoRoot,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    prefixed(child, name);
    child.on('exit', (code, signal) => {
      if (!stopping) {
        log(`${name} exited (${signal ?? code}); stopping`);
        void stop(1);
      }
    });
    children.push(child);
  }

  let stopping = false;
  const stop = async (code = 0) => {
    if (stopping) return;
    stopping = true;
    log('stopping...');
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(
      children.map((c) => (c.exitCode !== null ? null : new Promise((r) => c.once('exit', r)))),
    );
    for (const close of closers) await close();
    await stack.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());

  const api = `http://127.0.0.1:${config.env.PORT}`;
  log('');
  log('The system is up:');
  log(`  API               ${api}  (health: ${api}/healthz, metrics: ${api}/metrics)`);
  log(`  LINE webhook      ${api}/webhooks/line`);
  log(`  Stripe webhook    ${api}/webhooks/stripe`);
  log(
    `  LINE simulator    ${api}/dev` +
      (env.LOCAL_STAND_INS === 'true'
        ? ''
        : '  (needs the LINE stand-in: not with real LINE credentials)'),
  );
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
