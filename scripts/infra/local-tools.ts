import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { InfraError } from './errors';
import { withFileLock } from './lock';
import { repoRoot, toolCacheRoot } from './paths';
import { tailFile } from './proc';
import { findGo } from './tools';

/**
 * Go programs kept in this repository (not `go install`-able modules of others), built once
 * into the same cache as the pinned tools. The cache key is a hash of their sources, so an
 * edit builds anew and an unchanged checkout reuses the binary.
 */
export const LOCAL_TOOLS = {
  /** Strict decoding of rendered manifests into the Kubernetes API types (deploy/validate/). */
  'k8s-validate': { dir: 'deploy/validate', binary: 'k8s-validate' },
} as const;

export type LocalToolName = keyof typeof LOCAL_TOOLS;

function sourceHash(dir: string): string {
  const hash = crypto.createHash('sha256');
  for (const file of fs.readdirSync(dir).sort()) {
    if (file === 'go.mod' || file === 'go.sum' || file.endsWith('.go')) {
      hash.update(file).update(fs.readFileSync(path.join(dir, file)));
    }
  }
  return hash.digest('hex').slice(0, 16);
}

export async function ensureLocalTool(
  name: LocalToolName,
  options: { cacheRoot?: string; log?: (line: string) => void } = {},
): Promise<string> {
  const tool = LOCAL_TOOLS[name];
  const source = path.join(repoRoot, tool.dir);
  const cacheRoot = options.cacheRoot ?? toolCacheRoot();
  const dir = path.join(cacheRoot, `${name}-${sourceHash(source)}`);
  const binary = path.join(dir, tool.binary);
  if (fs.existsSync(binary)) return binary;
  const log = options.log ?? ((line: string) => process.stderr.write(`[infra] ${line}\n`));
  return withFileLock(
    path.join(dir, '.building'),
    async () => {
      if (fs.existsSync(binary)) return binary;
      const go = await findGo(process.env);
      const logFile = path.join(cacheRoot, 'logs', `${path.basename(dir)}.log`);
      fs.mkdirSync(path.dirname(logFile), { recursive: true });
      log(`Building ${name} from ${tool.dir} with ${go.version} (log: ${logFile})`);
      const staging = `${binary}.${process.pid}`;
      const out = fs.openSync(logFile, 'a');
      const code = await new Promise<number | null>((resolve, reject) => {
        const child = spawn(go.path, ['build', '-o', staging, '.'], {
          cwd: source,
          env: { ...process.env, PATH: `${path.dirname(go.path)}:${process.env.PATH ?? ''}` },
          stdio: ['ignore', out, out],
        });
        child.once('error', reject);
        child.once('exit', resolve);
      }).finally(() => fs.closeSync(out));
      if (code !== 0) {
        fs.rmSync(staging, { force: true });
        throw new InfraError(
          `Building ${name} (go build in ${tool.dir}) failed with exit code ${code}. ` +
            `Log: ${logFile}\n--- last lines ---\n${tailFile(logFile, 20)}`,
        );
      }
      fs.renameSync(staging, binary); // atomic: a reader never sees a half-written binary
      return binary;
    },
    { what: `the build of ${name}` },
  );
}
