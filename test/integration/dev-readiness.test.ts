import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dropDatabase, freePorts, repoRoot } from '../../scripts/infra';

/**
 * `npm run dev` (scripts/dev.ts) tells the truth: when it prints "The system is up", a LINE text
 * sent through the simulator is answered at once (no start-up wait left), GET / is the start
 * page, the AWS SDK's Node 22 notice is not printed, and SIGTERM ends it cleanly. It runs the
 * whole dev system on free ports in a temporary state directory with its own database.
 */

const UP_TIMEOUT_MS = 300_000;
/** Generous: "at once" means no start-up work is left, not a latency target. */
const ANSWER_TIMEOUT_MS = 60_000;

let dev: ChildProcess;
let output = '';
let exited: Promise<number | null>;
let stateDir = '';
let database = '';
let api = '';

function waitFor(pattern: RegExp, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      clearInterval(poll);
      reject(new Error(`no ${pattern} within ${ms} ms; output:\n${output.slice(-4000)}`));
    }, ms);
    const poll = setInterval(() => {
      if (pattern.test(output)) {
        clearTimeout(timer);
        clearInterval(poll);
        resolve();
      } else if (dev.exitCode !== null) {
        clearTimeout(timer);
        clearInterval(poll);
        reject(
          new Error(`dev exited (${dev.exitCode}) before ${pattern}:\n${output.slice(-4000)}`),
        );
      }
    }, 200);
  });
}

beforeAll(async () => {
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'line-ai-dev-'));
  const [port, line, llm, temporal, temporalUi, minio, minioConsole, stripe, stripeHttps] =
    await freePorts(9);
  // Its own database on the test server; none of the test run's variables (credentials, the
  // test stack's Temporal) may reach it: dev must stand up everything itself.
  const server = new URL(process.env.DATABASE_URL!);
  database = `line_ai_devtest_${process.pid}`;
  server.pathname = `/${database}`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    XDG_CACHE_HOME: process.env.XDG_CACHE_HOME,
    DEV_STATE_DIR: stateDir,
    DATABASE_URL: server.toString(),
    PORT: String(port),
    LINE_STAND_IN_PORT: String(line),
    LLM_STAND_IN_PORT: String(llm),
    LLM_STAND_IN_LATENCY_MS: '0',
    TEMPORAL_PORT: String(temporal),
    TEMPORAL_UI_PORT: String(temporalUi),
    MINIO_PORT: String(minio),
    MINIO_CONSOLE_PORT: String(minioConsole),
    STRIPE_MOCK_PORT: String(stripe),
    STRIPE_MOCK_HTTPS_PORT: String(stripeHttps),
    NO_COLOR: '1',
  };
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  api = `http://127.0.0.1:${port}`;
  dev = spawn(process.execPath, ['--import', 'tsx', 'scripts/dev.ts'], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  exited = new Promise((resolve) => dev.once('exit', (code) => resolve(code)));
  dev.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  dev.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await waitFor(/The system is up/, UP_TIMEOUT_MS);
}, UP_TIMEOUT_MS + 30_000);

afterAll(async () => {
  if (dev && dev.exitCode === null) {
    dev.kill('SIGKILL');
    await exited;
  }
  if (database) {
    await dropDatabase(database, { serverUrl: process.env.DATABASE_URL! }).catch(() => {});
  }
  if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
}, 60_000);

async function post(url: string, body: unknown = {}): Promise<Response> {
  return fetch(`${api}${url}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('npm run dev', () => {
  it(
    'answers a LINE text through the simulator at once after "up"',
    async () => {
      const { lineUserId } = (await (await post('/dev/api/users')).json()) as {
        lineUserId: string;
      };
      expect((await post(`/dev/api/users/${lineUserId}/follow`)).ok).toBe(true);
      const question = `dev readiness ${Date.now()}`;
      expect((await post(`/dev/api/users/${lineUserId}/text`, { text: question })).ok).toBe(true);
      const deadline = Date.now() + ANSWER_TIMEOUT_MS;
      let bot = '';
      while (!bot.includes(question) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        const timeline = (await (
          await fetch(`${api}/dev/api/users/${lineUserId}/timeline`)
        ).json()) as {
          bot: unknown[];
        };
        bot = JSON.stringify(timeline.bot);
      }
      expect(bot).toContain(question);
    },
    ANSWER_TIMEOUT_MS + 10_000,
  );

  it('serves the start page at GET / and prints its URL first', async () => {
    const res = await fetch(`${api}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    for (const link of [
      'href="/dev"',
      'href="/admin/usage"',
      'href="/metrics"',
      'Temporal Web UI',
    ]) {
      expect(html).toContain(link);
    }
    expect(output).toMatch(new RegExp(`Start page +${api}/`));
  });

  it('prints readable log lines, and no AWS SDK Node 22 notice', () => {
    expect(output).toMatch(/\[api\] \[\d\d:\d\d:\d\d\.\d{3}\] INFO: api listening/);
    expect(output).not.toContain('NodeVersionSupportWarning');
  });

  it('stops cleanly on SIGTERM', async () => {
    dev.kill('SIGTERM');
    const code = await Promise.race([
      exited,
      new Promise<string>((r) => setTimeout(() => r('still running after 60 s'), 60_000)),
    ]);
    expect(code).toBe(0);
    expect(output).toMatch(/\[dev\] stopping/);
  }, 70_000);
});
