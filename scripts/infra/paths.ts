import os from 'node:os';
import path from 'node:path';

export type Profile = 'dev' | 'test';

/** Repository root (this file lives in scripts/infra/). */
export const repoRoot = path.resolve(__dirname, '..', '..');

/** Git-ignored state root of one profile: `.stack/<profile>/`. */
export function profileDir(profile: Profile, root: string = repoRoot): string {
  return path.join(root, '.stack', profile);
}

/** `${XDG_CACHE_HOME:-$HOME/.cache}/line-ai-tools`: tool builds shared by every checkout. */
export function toolCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache');
  return path.join(base, 'line-ai-tools');
}
