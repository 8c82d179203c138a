import crypto from 'node:crypto';
import {
  createDatabase,
  DEFAULT_SERVER_URL,
  describeServer,
  dropDatabase,
  migrateDatabase,
} from '../../scripts/infra/postgres';

/**
 * A throw-away database for a benchmark: created on DATABASE_URL's server (default
 * postgresql://postgres@127.0.0.1:5432/postgres), migrated with `prisma migrate deploy`,
 * dropped afterwards, even when the benchmark fails or is interrupted (Ctrl-C).
 */
export async function withScratchDatabase<T>(
  label: string,
  fn: (databaseUrl: string) => Promise<T>,
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<T> {
  const serverUrl = process.env.DATABASE_URL || DEFAULT_SERVER_URL;
  const name = `line_ai_bench_${label}_${Math.floor(Date.now() / 1000)}_${crypto
    .randomBytes(3)
    .toString('hex')}`;
  log(`scratch database ${name} on ${describeServer(serverUrl)}`);
  const url = await createDatabase(name, { serverUrl });
  const drop = () => dropDatabase(name, { serverUrl });
  const onSignal = () => {
    void drop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const migrated = await migrateDatabase(url);
    log(
      migrated.applied ? `migrated (${migrated.migrations.length} migration(s))` : migrated.reason,
    );
    return await fn(url);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await drop();
    log(`dropped ${name}`);
  }
}
