import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { EnvSchema } from '../../config/env';

interface Service {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  environment?: Record<string, string | number>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: unknown;
}

const compose = parse(readFileSync(path.join(__dirname, '../../docker-compose.yml'), 'utf8'), {
  merge: true,
}) as { services: Record<string, Service> };
const services = compose.services;

/** Variables the config module cannot default (secrets), read from the schema itself. */
const requiredByConfig = Object.entries(EnvSchema.shape)
  .filter(([, schema]) => !schema.safeParse(undefined).success)
  .map(([name]) => name);

/** Defaults that point at localhost are wrong inside a container: these must be set. */
const connectionVars = ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'S3_ENDPOINT', 'S3_BUCKET'];

const appServices = Object.entries(services).filter(
  ([, s]) =>
    s.image === 'line-ai-stamp:latest' && s.command?.toString() !== 'npx,prisma,migrate,deploy',
);

describe('docker-compose.yml', () => {
  it('has every production service', () => {
    for (const name of [
      'postgres',
      'temporal',
      'temporal-ui',
      'minio',
      'minio-setup',
      'migrate',
      'api',
      'worker-chat',
      'worker-stamp',
      'worker-billing',
    ]) {
      expect(services[name]).toBeDefined();
    }
    expect(requiredByConfig).toContain('ADMIN_TOKEN');
  });

  it.each(appServices.map(([name]) => name))(
    '%s gets every variable the config requires',
    (name) => {
      const env = services[name]!.environment ?? {};
      for (const variable of [...requiredByConfig, ...connectionVars]) {
        expect({ service: name, variable, set: env[variable] !== undefined }).toEqual({
          service: name,
          variable,
          set: true,
        });
      }
      for (const key of Object.keys(env)) expect(Object.keys(EnvSchema.shape)).toContain(key);
    },
  );

  it('runs one worker service per task queue', () => {
    const queues = appServices
      .map(([, s]) => s.environment?.WORKER_QUEUES)
      .filter((q): q is string => typeof q === 'string');
    expect(queues.sort()).toEqual(['billing', 'chat', 'stamp']);
  });

  it('puts Temporal on the same PostgreSQL and waits for health', () => {
    const temporal = services.temporal!;
    expect(temporal.environment?.POSTGRES_SEEDS).toBe('postgres');
    expect(temporal.depends_on?.postgres?.condition).toBe('service_healthy');
    expect(temporal.healthcheck).toBeDefined();
    expect(services['temporal-ui']!.environment?.TEMPORAL_ADDRESS).toBe('temporal:7233');
  });

  it("never publishes Temporal's frontend or Web UI on the host (issue #13)", () => {
    const raw = parse(readFileSync(path.join(__dirname, '../../docker-compose.yml'), 'utf8'), {
      merge: true,
    }) as { services: Record<string, { ports?: unknown[] }> };
    for (const name of ['temporal', 'temporal-ui', 'temporal-setup']) {
      expect({ service: name, ports: raw.services[name]?.ports }).toEqual({
        service: name,
        ports: undefined,
      });
    }
  });

  it('keeps secrets out of the file', () => {
    const text = readFileSync(path.join(__dirname, '../../docker-compose.yml'), 'utf8');
    for (const variable of requiredByConfig) {
      const line = text.split('\n').find((l) => l.trim().startsWith(`${variable}:`));
      expect(line).toMatch(/\$\{[A-Z_]+:\?/);
    }
  });

  it('applies migrations before the app starts', () => {
    for (const [, s] of appServices) {
      expect(s.depends_on?.migrate?.condition).toBe('service_completed_successfully');
    }
  });
});
