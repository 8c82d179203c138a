import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Connection } from '@temporalio/client';
import { Client as PgClient } from 'pg';
import Stripe from 'stripe';
import { SearchAttributes } from '../../config/task-queues';
import { InfraError } from '../../scripts/infra/errors';
import { freePort } from '../../scripts/infra/ports';
import { ensurePostgres, listMigrations } from '../../scripts/infra/postgres';
import { ensureTool } from '../../scripts/infra/tools';
import { stackEnv } from '../support/stack-env';

/** The stack started by the jest global setup is real and wired as the env says. */
describe('test stack (global setup)', () => {
  const env = stackEnv();

  it('provides every variable, with test-shaped secrets', () => {
    expect(env.NODE_ENV).toBe('test');
    expect(env.STRIPE_SECRET_KEY).toMatch(/^sk_test_/);
    expect(env.STRIPE_WEBHOOK_SECRET).toMatch(/^whsec_/);
    expect(env.ADMIN_TOKEN.length).toBeGreaterThanOrEqual(16);
    expect(env.DATABASE_URL).toMatch(/\/line_ai_test_\d+_[0-9a-f]+$/);
    const file = JSON.parse(
      fs.readFileSync(path.join(__dirname, '../../.stack/test/env.json'), 'utf8'),
    ) as Record<string, string>;
    expect(Object.keys(file)).toEqual(expect.arrayContaining(Object.keys(env)));
  });

  it('Temporal answers and has the search attributes', async () => {
    const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
    try {
      const info = await connection.workflowService.getSystemInfo({});
      expect(info.serverVersion).toBeTruthy();
      const { customAttributes } = await connection.operatorService.listSearchAttributes({
        namespace: env.TEMPORAL_NAMESPACE,
      });
      for (const { name } of Object.values(SearchAttributes)) {
        expect(customAttributes).toHaveProperty(name);
      }
    } finally {
      await connection.close();
    }
  });

  it('the S3 bucket accepts put and get', async () => {
    const s3 = new S3Client({
      endpoint: env.S3_ENDPOINT,
      region: env.S3_REGION,
      forcePathStyle: true,
      credentials: { accessKeyId: env.S3_ACCESS_KEY_ID, secretAccessKey: env.S3_SECRET_ACCESS_KEY },
    });
    try {
      const Key = `infra-test/${Date.now()}.txt`;
      await s3.send(
        new PutObjectCommand({
          Bucket: env.S3_BUCKET,
          Key,
          Body: 'スタンプ',
          ContentType: 'text/plain',
        }),
      );
      const got = await s3.send(new GetObjectCommand({ Bucket: env.S3_BUCKET, Key }));
      expect(await got.Body?.transformToString()).toBe('スタンプ');
    } finally {
      s3.destroy();
    }
  });

  it('stripe-mock answers through the stripe SDK', async () => {
    const base = new URL(env.STRIPE_API_BASE_URL);
    const stripe = new Stripe(env.STRIPE_SECRET_KEY, {
      host: base.hostname,
      port: Number(base.port),
      protocol: 'http',
      maxNetworkRetries: 0,
    });
    const customer = await stripe.customers.create({ email: 'infra@example.com' });
    expect(customer.object).toBe('customer');
    expect(customer.id).toMatch(/^cus_/);
  });

  it('the test database exists and is migrated', async () => {
    const client = new PgClient({ connectionString: env.DATABASE_URL });
    await client.connect();
    try {
      const { rows } = await client.query<{ db: string; table: string | null }>(
        "SELECT current_database()::text AS db, to_regclass('_prisma_migrations')::text AS table",
      );
      expect(rows[0]?.db).toMatch(/^line_ai_test_/);
      const migrations = listMigrations();
      if (migrations.length === 0) return; // nothing to apply yet
      expect(rows[0]?.table).toBe('_prisma_migrations');
      const applied = await client.query<{ migration_name: string }>(
        'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL ORDER BY 1',
      );
      expect(applied.rows.map((r) => r.migration_name)).toEqual(migrations);
    } finally {
      await client.end();
    }
  });
});

describe('clear infrastructure errors', () => {
  it('ensurePostgres on a closed port names host:port and what to do, without secrets', async () => {
    const port = await freePort(); // nothing listens there once freePort returns
    const error = await ensurePostgres(`postgresql://app:s3cret-pw@127.0.0.1:${port}/x`).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(InfraError);
    expect(error?.message).toContain(`PostgreSQL not reachable at 127.0.0.1:${port}`);
    expect(error?.message).toMatch(/apt-get install postgresql/);
    expect(error?.message).toMatch(/DATABASE_URL/);
    expect(error?.message).not.toContain('s3cret-pw');
    expect(error?.stack).toBe(`InfraError: ${error?.message}`); // no trace to scare anyone
  });

  it('ensureTool without Go says to install Go >= 1.26', async () => {
    const cacheRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'line-ai-tools-'));
    try {
      const error = await ensureTool('stripe-mock', {
        cacheRoot: path.join(cacheRoot, 'missing'),
        env: { PATH: path.join(cacheRoot, 'no-bin'), HOME: cacheRoot },
        goDirs: [],
        log: () => {},
      }).then(
        () => null,
        (e: unknown) => e as Error,
      );
      expect(error).toBeInstanceOf(InfraError);
      expect(error?.message).toMatch(/Go >= 1\.26 is required to build stripe-mock/);
      expect(error?.message).toMatch(/apt-get install golang/);
      expect(error?.message).toMatch(/go\.dev\/dl/);
      expect(error?.stack).toBe(`InfraError: ${error?.message}`);
    } finally {
      fs.rmSync(cacheRoot, { recursive: true, force: true });
    }
  });

  it('ensureTool builds once when called concurrently (stub go)', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'line-ai-tools-'));
    try {
      const bin = path.join(root, 'bin');
      fs.mkdirSync(bin);
      const calls = path.join(root, 'calls');
      // Answers `go version`; `go install` takes a moment, then writes $GOBIN/stripe-mock.
      fs.writeFileSync(
        path.join(bin, 'go'),
        [
          '#!/bin/sh',
          'if [ "$1" = version ]; then echo "go version go1.26.0 linux/amd64"; exit 0; fi',
          `echo "$2" >> "${calls}"`,
          'sleep 0.5',
          'printf "#!/bin/sh\necho stub\n" > "$GOBIN/stripe-mock"; chmod +x "$GOBIN/stripe-mock"',
        ].join('\n'),
        { mode: 0o755 },
      );
      const options = {
        cacheRoot: path.join(root, 'cache'),
        env: { PATH: `${bin}:/usr/bin:/bin`, HOME: root },
        goDirs: [],
        log: () => {},
      };
      const paths = await Promise.all([1, 2, 3].map(() => ensureTool('stripe-mock', options)));
      const expected = path.join(root, 'cache', 'stripe-mock-v0.203.0', 'stripe-mock');
      expect(paths).toEqual([expected, expected, expected]);
      expect(fs.readFileSync(calls, 'utf8').trim().split('\n')).toEqual([
        'github.com/stripe/stripe-mock@v0.203.0',
      ]);
      expect(fs.readdirSync(path.dirname(expected))).toEqual(['stripe-mock']); // no lock left
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
