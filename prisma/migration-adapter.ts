import { randomUUID } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';

/**
 * Driver adapter factory for the Prisma CLI's JavaScript (WASM) schema engine, used only by
 * prisma.config.ts. The stock PrismaPg factory of 6.19 cannot run migrations (upstream bug
 * prisma/orm#27403); this wraps it with three fixes (OID mapping, a real shadow database, whole
 * scripts), plus two settings for the CLI process: a UTC session and idle connections that do
 * not keep the process alive. The application's runtime client does not use this file (see
 * lib/db.ts).
 */

type DriverAdapter = Awaited<ReturnType<PrismaPg['connect']>>;

/** pg's type OID for `text`; values of these types arrive as strings in text format. */
const TEXT_OID = 25;
/** OIDs below this are PostgreSQL built-ins; adapter-pg already maps the rest to text. */
const FIRST_NORMAL_OBJECT_ID = 16384;
/**
 * Built-in OIDs adapter-pg 6.19 maps to a column type (its `fieldToColumnType`). Any other
 * built-in makes it throw "Column type '<name>' could not be deserialized", and the schema
 * engine's catalog queries return `"char"` (18), `name` (19) and `void` (2278, the result of
 * pg_advisory_lock).
 */
const MAPPED_BUILTIN_OIDS = new Set([
  16, 17, 20, 21, 23, 25, 26, 114, 142, 650, 700, 701, 790, 869, 1042, 1043, 1082, 1083, 1114, 1184,
  1266, 1560, 1562, 1700, 2950, 3802,
  // arrays
  143, 199, 651, 791, 1000, 1001, 1002, 1005, 1007, 1009, 1014, 1015, 1016, 1021, 1022, 1028, 1041,
  1115, 1182, 1183, 1185, 1231, 1563, 2951, 3807,
]);

interface ResultWithFields {
  fields?: { dataTypeID: number }[];
}

function reportUnmappedAsText(result: unknown): void {
  // A multi-statement script resolves to an array of results.
  for (const r of Array.isArray(result) ? result : [result]) {
    for (const field of (r as ResultWithFields | null)?.fields ?? []) {
      if (field.dataTypeID < FIRST_NORMAL_OBJECT_ID && !MAPPED_BUILTIN_OIDS.has(field.dataTypeID)) {
        field.dataTypeID = TEXT_OID;
      }
    }
  }
}

/**
 * Fix 1: a pg.Client whose results report unmapped built-in types as text. It is handed to
 * pg-pool through its `Client` option, so it also covers the shadow database's pool and
 * transaction connections (patching Pool#query would not).
 */
class OidTolerantClient extends pg.Client {
  // pg.Client#query has many overloads (promise, callback, submittable); this forwards all of
  // them unchanged, which no single typed signature can express.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override query(...args: any[]): any {
    const last = args.length - 1;
    const callback: unknown = args[last];
    if (typeof callback === 'function') {
      // pg-pool calls query(text, values, callback).
      args[last] = (err: unknown, res: unknown) => {
        if (!err) reportUnmappedAsText(res);
        (callback as (e: unknown, r: unknown) => void)(err, res);
      };
    }
    const returned: unknown = Reflect.apply(pg.Client.prototype.query, this, args);
    if (typeof callback !== 'function' && returned instanceof Promise) {
      return returned.then((res: unknown) => {
        reportUnmappedAsText(res);
        return res;
      });
    }
    return returned;
  }
}

/**
 * Fix 3: the stock executeScript splits the script on every `;`, which breaks `$$` bodies and
 * string literals and applies a migration statement by statement. Sent as one simple-protocol
 * query (no parameters), PostgreSQL runs the whole script in one implicit transaction, as the
 * native schema engine does; errors still go through the adapter's error mapping.
 */
function sendScriptsWhole(adapter: DriverAdapter): DriverAdapter {
  adapter.executeScript = async (script: string): Promise<void> => {
    await adapter.executeRaw({ sql: script, args: [], argTypes: [] });
  };
  return adapter;
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The migration adapter factory: PrismaPg with the three fixes. */
export class MigrationAdapterFactory extends PrismaPg {
  private readonly clientConfig: pg.PoolConfig;

  /** @param databaseUrl a postgresql:// URL */
  constructor(databaseUrl: string) {
    // Fix 2: PrismaPg builds the shadow database config as {...config, database}, but a
    // connectionString takes precedence over `database`, so the "shadow" would be the main
    // database. Discrete fields avoid that; we create and drop the shadow database ourselves.
    const fromUrl = parseIntoClientConfig(databaseUrl);
    const clientConfig: pg.PoolConfig = {
      ...fromUrl,
      // adapter-pg writes timestamps (e.g. _prisma_migrations.finished_at) as UTC text without
      // an offset, so the session must be in UTC whatever the database's default.
      options: [fromUrl.options, '-c TimeZone=UTC'].filter(Boolean).join(' '),
      Client: OidTolerantClient,
      // The schema engine never disposes its main adapter; idle pooled connections must not
      // keep the CLI process alive (they would for idleTimeoutMillis, 10 s by default).
      allowExitOnIdle: true,
    };
    super(clientConfig);
    this.clientConfig = clientConfig;
  }

  override async connect(): Promise<DriverAdapter> {
    return sendScriptsWhole(await super.connect());
  }

  override async connectToShadowDb(): Promise<DriverAdapter> {
    const shadowName = `prisma_migrate_shadow_db_${randomUUID()}`;
    await runOnMainDatabase(this.clientConfig, `CREATE DATABASE ${quoteIdent(shadowName)}`);
    const shadow = sendScriptsWhole(
      await new PrismaPg({ ...this.clientConfig, database: shadowName }).connect(),
    );
    const closeShadowPool = shadow.dispose.bind(shadow);
    shadow.dispose = async () => {
      // The pool must be closed first: a database with open connections cannot be dropped.
      await closeShadowPool();
      await runOnMainDatabase(
        this.clientConfig,
        `DROP DATABASE IF EXISTS ${quoteIdent(shadowName)}`,
      );
    };
    return shadow;
  }
}

async function runOnMainDatabase(config: pg.PoolConfig, sql: string): Promise<void> {
  const client = new pg.Client(config);
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
