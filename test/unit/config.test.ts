import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { devSimulatorEnabled } from '../../api/dev';
import { ConfigError, loadConfig } from '../../config';
import { DEFAULT_CATALOG_FILE, loadCatalog, parseCatalog } from '../../config/catalog';
import { EnvSchema, loadEnv } from '../../config/env';
import { TEST_SECRETS } from '../support/config-secrets';

const secrets = TEST_SECRETS;

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('environment', () => {
  it('applies the documented defaults', () => {
    const env = loadEnv(secrets);
    expect(env.PORT).toBe(3000);
    expect(env.TIME_ZONE).toBe('Asia/Tokyo');
    expect(env.TEMPORAL_ADDRESS).toBe('127.0.0.1:7233');
    expect(env.LINE_API_BASE_URL).toBe('https://api.line.me');
    expect(env.WORKER_QUEUES).toEqual(['chat', 'stamp', 'billing']);
  });

  it('names every missing secret without echoing values', () => {
    const err = errorOf(() => loadEnv({ ADMIN_TOKEN: 'short' }));
    const text = err.message;
    for (const name of [
      'LINE_CHANNEL_SECRET',
      'LINE_CHANNEL_ACCESS_TOKEN',
      'OPENAI_API_KEY',
      'STRIPE_SECRET_KEY',
      'STRIPE_WEBHOOK_SECRET',
      'PAYLOAD_KEYS',
    ]) {
      expect(text).toContain(`${name}: is required`);
    }
    expect(text).toContain('ADMIN_TOKEN: must be at least 16 characters');
    expect(text).not.toContain('short');
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://x'],
    ['TEMPORAL_ADDRESS', 'no-port'],
    ['LINE_API_BASE_URL', 'not a url'],
    ['TIME_ZONE', 'Mars/Olympus'],
    ['S3_BUCKET', 'Bad_Bucket'],
    ['WORKER_QUEUES', 'chat,email'],
    ['LOCAL_STAND_INS', 'maybe'],
    ['PAYLOAD_KEYS', 'k1:c2hvcnQ='],
    ['PAYLOAD_KEY_ID', 'k9'],
    ['PAYLOAD_ACCEPT_UNSEALED_UNTIL', 'soon'],
    ['TEMPORAL_TLS', 'maybe'],
  ])('rejects a bad %s with a message naming it', (name, value) => {
    const err = errorOf(() => loadEnv({ ...secrets, [name]: value }));
    expect(err.problems.some((p) => p.startsWith(`${name}`))).toBe(true);
    expect(err.problems).toHaveLength(1);
  });

  it('treats empty strings as unset', () => {
    expect(loadEnv({ ...secrets, PORT: '' }).PORT).toBe(3000);
  });
});

describe('catalog', () => {
  const raw = () => JSON.parse(readFileSync(DEFAULT_CATALOG_FILE, 'utf8'));

  it('loads the shipped defaults from SPEC.md', () => {
    const c = loadCatalog();
    expect(c.plans.basic?.dailyChatLimit).toBe(10);
    expect(c.plans.premium?.dailyChatLimit).toBe(50);
    expect(c.plans.enterprise?.dailyChatLimit).toBe(-1);
    expect(c.modelTiers[c.plans.free!.modelTier]?.model).toBe('phi-3-mini');
    expect(c.modelTiers.search?.dollarPerSearch).toBeGreaterThan(0);
  });

  it('rejects a plan pointing at an unknown model tier', () => {
    const bad = raw();
    bad.plans.basic.modelTier = 'huge';
    const err = errorOf(() => parseCatalog(bad));
    expect(err.message).toContain('plans.basic.modelTier: unknown model tier "huge"');
  });

  it('rejects a loading time LINE would refuse', () => {
    const bad = raw();
    bad.chat.loadingSeconds = 7;
    expect(errorOf(() => parseCatalog(bad)).message).toContain('chat.loadingSeconds');
  });

  it('rejects a product with a negative price', () => {
    const bad = raw();
    bad.products.points_500.priceYen = -1;
    expect(errorOf(() => parseCatalog(bad)).message).toContain('products.points_500.priceYen');
  });

  it('treats an unset NODE_ENV as production (no /dev simulator)', () => {
    const config = loadConfig({ ...secrets });
    expect(config.env.NODE_ENV).toBe('production');
    expect(devSimulatorEnabled(config.env)).toBe(false);
  });

  it('reports an unreadable CATALOG_FILE by name', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'catalog-'));
    const file = path.join(dir, 'broken.json');
    writeFileSync(file, '{ not json');
    const err = errorOf(() => loadConfig({ ...secrets, CATALOG_FILE: file }));
    expect(err.message).toContain('CATALOG_FILE');
  });
});

describe('.env.example', () => {
  it('lists every variable the config reads', () => {
    const text = readFileSync(path.join(__dirname, '../../.env.example'), 'utf8');
    const listed = new Set(
      [...text.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1] as string),
    );
    for (const name of Object.keys(EnvSchema.shape))
      expect({ name, listed: listed.has(name) }).toEqual({ name, listed: true });
  });
});
