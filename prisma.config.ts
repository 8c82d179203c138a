import { existsSync } from 'node:fs';
import path from 'node:path';
import { defineConfig } from 'prisma/config';
import { MigrationAdapterFactory } from './prisma/migration-adapter';

/**
 * Prisma CLI configuration. Prisma's native engines cannot be downloaded on our machines, so
 * migrations run on the CLI's JavaScript (WASM) schema engine through a driver adapter
 * (prisma/migration-adapter.ts). This file is loaded only by the CLI.
 *
 * Commands that touch the database need DATABASE_URL (a postgresql:// URL); `prisma generate`
 * does not.
 */

// With a config file the CLI no longer reads .env by itself; variables already set win.
const dotEnv = path.join(__dirname, '.env');
if (existsSync(dotEnv)) process.loadEnvFile(dotEnv);

// Without a postgres URL in the schema's env("DATABASE_URL") even `prisma generate` tries to
// download the native query engine, so the CLI gets a placeholder; the adapter below still
// refuses to run without a real URL.
const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) process.env.DATABASE_URL = 'postgresql://placeholder@localhost/placeholder';

// The WASM schema engine leaves 10 s / 60 s timers pending after it has finished, which keeps
// `migrate deploy` / `migrate dev` alive for up to a minute. Long timers must not hold the CLI
// process open; short ones are left alone. (Idle pooled connections are handled by
// allowExitOnIdle in the adapter.)
const LONG_TIMER_MS = 5_000;
const originalSetTimeout = globalThis.setTimeout;
globalThis.setTimeout = Object.assign((...args: Parameters<typeof setTimeout>) => {
  const timer = originalSetTimeout(...args);
  if ((args[1] ?? 0) >= LONG_TIMER_MS) timer.unref();
  return timer;
}, originalSetTimeout) as typeof setTimeout;

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join(__dirname, 'prisma', 'schema.prisma'),
  migrations: { path: path.join(__dirname, 'prisma', 'migrations') },
  // Called only by commands that talk to the database.
  adapter: async () => {
    if (!databaseUrl) throw new Error('DATABASE_URL is not set (a postgresql:// URL)');
    return new MigrationAdapterFactory(databaseUrl);
  },
});
