import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { errorMessage, InfraError } from './errors';
import { withFileLock } from './lock';
import { toolCacheRoot } from './paths';
import { sleep, tailFile } from './proc';

/** Pinned tool builds. Bump a version here and the cache key changes with it. */
export const TOOLS = {
  temporal: {
    module: 'github.com/temporalio/cli/cmd/temporal',
    version: 'v1.5.1',
    binary: 'temporal',
    /** A release binary on PATH reporting this version is used as is. */
    pathVersion: /^temporal version 1\.5\.1\b/m,
    legacyLog: 'temporal',
  },
  minio: {
    module: 'github.com/minio/minio',
    version: 'v0.0.0-20260212201848-7aac2a2c5b7c',
    binary: 'minio',
    pathVersion: null,
    legacyLog: 'minio',
  },
  'stripe-mock': {
    module: 'github.com/stripe/stripe-mock',
    version: 'v0.203.0',
    binary: 'stripe-mock',
    pathVersion: null,
    legacyLog: 'stripe',
  },
  /** Renders deploy/helm/line-ai/ in npm test (test/unit/helm-chart.test.ts); not a service. */
  helm: {
    module: 'helm.sh/helm/v3/cmd/helm',
    version: 'v3.22.0',
    binary: 'helm',
    pathVersion: null,
    legacyLog: 'helm',
  },
} as const;

export type ToolName = keyof typeof TOOLS;

// k8s.io/api (the chart validator, deploy/validate) needs Go 1.26.
const MIN_GO = { major: 1, minor: 26 };

export interface EnsureToolOptions {
  /** Defaults to toolCacheRoot(env). */
  cacheRoot?: string;
  /** Environment for PATH/HOME look-ups and the build (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Extra directories searched for `go` after PATH (default /usr/local/go/bin, /usr/lib/go/bin). */
  goDirs?: string[];
  log?: (line: string) => void;
  /** How long to wait for another process's build of the same tool (default 30 min). */
  waitTimeoutMs?: number;
}

/** `<cacheRoot>/<name>-<version>/<binary>` */
export function toolPath(name: ToolName, cacheRoot: string = toolCacheRoot()): string {
  const tool = TOOLS[name];
  return path.join(cacheRoot, `${name}-${tool.version}`, tool.binary);
}

/**
 * Returns the path of the pinned binary, building it once with `go install` when missing.
 * Concurrent callers (jest workers, a dev run) wait for a single build.
 */
export async function ensureTool(name: ToolName, options: EnsureToolOptions = {}): Promise<string> {
  const tool = TOOLS[name];
  if (!tool) throw new InfraError(`Unknown tool "${String(name)}"`);
  const env = options.env ?? process.env;
  const cacheRoot = options.cacheRoot ?? toolCacheRoot(env);
  const log = options.log ?? ((line: string) => process.stderr.write(`[infra] ${line}\n`));
  const binary = toolPath(name, cacheRoot);
  if (isExecutable(binary)) return binary;

  if (tool.pathVersion) {
    const onPath = findOnPath(tool.binary, env.PATH);
    if (onPath && tool.pathVersion.test(await versionOf(onPath))) return onPath;
  }

  const dir = path.dirname(binary);
  const waitTimeoutMs = options.waitTimeoutMs ?? 30 * 60_000;
  await waitForLegacyBuild(name, cacheRoot, binary, waitTimeoutMs, log);
  if (isExecutable(binary)) return binary;

  return withFileLock(
    path.join(dir, '.building'),
    async () => {
      if (isExecutable(binary)) return binary; // built by whoever held the lock
      const go = await findGo(env, options.goDirs, name);
      const logFile = path.join(cacheRoot, 'logs', `${name}-${tool.version}.log`);
      log(
        `Building ${name} ${tool.version} with ${go.version} into ${dir} ` +
          `(first build takes minutes; log: ${logFile})`,
      );
      await build(name, go.path, dir, logFile, env);
      return binary;
    },
    {
      timeoutMs: waitTimeoutMs,
      what: `the build of ${name}`,
      onWait: (owner) =>
        log(`Waiting for the build of ${name} by pid ${owner?.pid ?? '?'} (takes minutes)...`),
    },
  );
}

async function build(
  name: ToolName,
  go: string,
  dir: string,
  logFile: string,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  const tool = TOOLS[name];
  const staging = path.join(dir, `.build-${process.pid}`);
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { recursive: true });
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const out = fs.openSync(logFile, 'a');
  const target = `${tool.module}@${tool.version}`;
  fs.writeSync(out, `\n# ${new Date().toISOString()} go install ${target}\n`);
  let code: number | null = null;
  try {
    code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(go, ['install', target], {
        env: {
          ...env,
          GOBIN: staging,
          PATH: [path.dirname(go), env.PATH].filter(Boolean).join(path.delimiter),
        },
        stdio: ['ignore', out, out],
      });
      child.once('error', reject);
      child.once('exit', (exitCode) => resolve(exitCode));
    });
  } finally {
    fs.writeSync(out, `done-${name} ${code ?? 'error'}\n`);
    fs.closeSync(out);
  }
  const built = path.join(staging, tool.binary);
  if (code !== 0 || !isExecutable(built)) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw new InfraError(
      `Building ${name} (go install ${target}) failed with exit code ${code}. ` +
        `Log: ${logFile}\n--- last lines ---\n${tailFile(logFile, 20)}`,
    );
  }
  // Atomic publish: a reader never sees a half-written binary.
  fs.renameSync(built, path.join(dir, tool.binary));
  fs.rmSync(staging, { recursive: true, force: true });
}

/**
 * Builds started outside this code (e.g. by hand, logging to logs/<name>.log and writing
 * `done-<name> <exit>` at the end) are waited for rather than duplicated.
 */
async function waitForLegacyBuild(
  name: ToolName,
  cacheRoot: string,
  binary: string,
  timeoutMs: number,
  log: (line: string) => void,
): Promise<void> {
  const legacy = TOOLS[name].legacyLog;
  const logFile = path.join(cacheRoot, 'logs', `${legacy}.log`);
  const inProgress = () => {
    try {
      const stat = fs.statSync(logFile);
      if (Date.now() - stat.mtimeMs > 20 * 60_000) return false; // abandoned
      return !new RegExp(`^done-${legacy} `, 'm').test(tailFile(logFile, 5));
    } catch {
      return false;
    }
  };
  if (!inProgress()) return;
  log(`A build of ${name} is in progress (${logFile}); waiting for it...`);
  const deadline = Date.now() + timeoutMs;
  while (inProgress() && !isExecutable(binary) && Date.now() < deadline) await sleep(1000);
}

export interface GoInfo {
  path: string;
  version: string;
}

export async function findGo(
  env: NodeJS.ProcessEnv = process.env,
  goDirs: string[] = ['/usr/local/go/bin', '/usr/lib/go/bin'],
  forTool?: ToolName,
): Promise<GoInfo> {
  const what = forTool
    ? `to build ${forTool} (${TOOLS[forTool].module}@${TOOLS[forTool].version})`
    : 'to build the local tools';
  const install =
    `Install Go >= ${MIN_GO.major}.${MIN_GO.minor} (e.g. "apt-get install golang" if your ` +
    `distribution ships >= ${MIN_GO.major}.${MIN_GO.minor}, or from https://go.dev/dl/ with ` +
    `/usr/local/go/bin on PATH), then run again.`;
  const candidates = [
    findOnPath('go', env.PATH),
    ...goDirs.map((d) => path.join(d, 'go')).filter(isExecutable),
  ].filter((p): p is string => Boolean(p));
  const found: string[] = [];
  for (const candidate of candidates) {
    const output = await versionOf(candidate, ['version']);
    const match = /\bgo(\d+)\.(\d+)/.exec(output);
    const version = match ? `go${match[1]}.${match[2]}` : output.trim() || 'unknown version';
    if (/\bdevel\b/.test(output)) return { path: candidate, version: 'go devel' };
    const [major, minor] = [Number(match?.[1]), Number(match?.[2])];
    if (major > MIN_GO.major || (major === MIN_GO.major && minor >= MIN_GO.minor)) {
      return { path: candidate, version };
    }
    found.push(`${candidate} (${version})`);
  }
  if (found.length > 0) {
    throw new InfraError(
      `Go >= ${MIN_GO.major}.${MIN_GO.minor} is required ${what}, but only ${found.join(', ')} ` +
        `was found. ${install}`,
    );
  }
  throw new InfraError(
    `Go >= ${MIN_GO.major}.${MIN_GO.minor} is required ${what}, but no "go" was found on PATH ` +
      `or in ${goDirs.join(', ') || '(no extra directories)'}. ${install}`,
  );
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function findOnPath(binary: string, pathEnv: string | undefined): string | null {
  for (const dir of (pathEnv ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, binary);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

function versionOf(binary: string, args: string[] = ['--version']): Promise<string> {
  return new Promise((resolve) => {
    execFile(binary, args, { timeout: 10_000 }, (error, stdout, stderr) => {
      resolve(error ? `${stdout}${stderr}${errorMessage(error)}` : `${stdout}${stderr}`);
    });
  });
}
