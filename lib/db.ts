import { PrismaPg } from '@prisma/adapter-pg';
import type { PoolConfig } from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';
import { Prisma, PrismaClient } from '../generated/prisma/client';

/**
 * Database access: the generated Prisma client (engine-less "client" engine, run
 * `prisma generate` first) on the PrismaPg driver adapter.
 *
 * Notes for raw SQL ($queryRaw / $executeRaw):
 * - IDs default to uuid() in the client, not in the database: a raw INSERT must supply one
 *   (gen_random_uuid()). updated_at has a database default but @updatedAt is client-side, so a
 *   raw UPDATE should set it (updated_at = now()).
 * - The adapter cannot decode some built-in column types in results: `name`, `"char"` and
 *   `void`. Cast to text (`relname::text`), and call functions returning void through
 *   $executeRaw (e.g. pg_advisory_xact_lock) rather than $queryRaw.
 */

export * from '../generated/prisma/client';

/** The application's database handle. */
export type Db = PrismaClient;

/** A transaction client, as passed to `db.$transaction(async (tx) => ...)`. */
export type Tx = Prisma.TransactionClient;

/** Pool settings that may be tuned per process (e.g. `max` for a busy worker). */
export type PoolOptions = Omit<PoolConfig, 'connectionString'>;

/**
 * adapter-pg 6.19 sends DateTime parameters as UTC wall-clock text without an offset and reads
 * timestamptz results by discarding the offset, so it is only correct in a UTC session. The
 * session time zone is therefore pinned rather than taken from the server's default.
 */
const UTC_SESSION = '-c TimeZone=UTC';

/** Creates a client for `databaseUrl` (postgresql://...). Call `$disconnect()` when done. */
export function createPrisma(databaseUrl: string, pool: PoolOptions = {}): PrismaClient {
  // Discrete fields rather than connectionString: a URL's parameters would override `options`.
  const fromUrl = parseIntoClientConfig(databaseUrl);
  const options = [fromUrl.options, pool.options, UTC_SESSION].filter(Boolean).join(' ');
  const adapter = new PrismaPg({ ...fromUrl, ...pool, options });
  return new PrismaClient({ adapter });
}
