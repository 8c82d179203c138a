import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import type { AppConfig } from '../../config';
import type { Ledger } from '../../ledger';
import type { Db } from '../../lib/db';
import { registerBusinessMetrics } from '../../ops/business-metrics';
import { boundPort, serveMetrics } from '../../ops/metrics-server';
import { createMetrics } from '../../lib/metrics';
import { freePort } from '../../scripts/infra/ports';
import { startTestApi, type TestApi } from '../support/test-api';
import {
  spawnWorkerProcess,
  testConfig,
  uniquePrefix,
  waitFor,
  type WorkerProcess,
} from '../support/workers';
import { isolatedDatabase, ledgerAt, newUser, parseMetrics, settleTurnOf } from './ops-fixtures';

/**
 * Metrics: the API's /metrics carries database-derived business gauges (so one scrape of the API
 * answers the business questions), each worker process serves its own registry and the Temporal
 * SDK's metrics. A private database, so the gauges count exactly this test's rows.
 */
describe('metrics', () => {
  let iso: Awaited<ReturnType<typeof isolatedDatabase>>;
  let config: AppConfig;
  let api: TestApi;
  let db: Db;
  let ledger: Ledger;

  beforeAll(async () => {
    iso = await isolatedDatabase();
    db = iso.db;
    config = testConfig({ DATABASE_URL: iso.url, TASK_QUEUE_PREFIX: uniquePrefix('metrics') });
    api = await startTestApi(config, { db });
    ledger = ledgerAt(db, config);
  }, 120_000);
  afterAll(async () => {
    await api?.stop();
    await iso?.drop();
  });

  const scrapeApi = async () => {
    const res = await fetch(`${api.url}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    return { text, values: parseMetrics(text) };
  };

  let charged = 0;
  let yenSmall = 0;
  const heldEstimate = 17;

  it('GET /metrics on the API shows the business gauges with the database numbers', async () => {
    const user = await newUser(db, { planId: 'enterprise' });
    await ledger.grantPoints({
      sourceRef: `cs_${randomUUID()}`,
      userId: user.id,
      points: 5000,
      expiresAt: null,
      reason: 'purchase:points_500',
    });
    await ledger.grantPoints({
      sourceRef: `in_${randomUUID()}`,
      userId: user.id,
      points: 1000,
      expiresAt: null,
      reason: 'subscription:sub_basic:subscription_create',
    });
    // Two settled turns (one reserved first), one held, one released.
    const reserved = `chat-${randomUUID()}`;
    await ledger.reserveTurn({ turnId: reserved, userId: user.id, estimatePoints: 3 });
    const a = await settleTurnOf(ledger, config, {
      userId: user.id,
      turnId: reserved,
      tier: 'small',
    });
    const b = await settleTurnOf(ledger, config, { userId: user.id, tier: 'frontier' });
    await ledger.reserveTurn({
      turnId: `chat-${randomUUID()}`,
      userId: user.id,
      estimatePoints: heldEstimate,
    });
    const released = `chat-${randomUUID()}`;
    await ledger.reserveTurn({ turnId: released, userId: user.id, estimatePoints: 2 });
    await ledger.releaseTurn({ turnId: released });
    charged = a.result.pointsCharged + b.result.pointsCharged;
    yenSmall = a.priced.records.reduce((s, r) => s + r.yen, 0);
    // Stamp jobs: one completed, two failed; one deleted user.
    for (const status of ['completed', 'failed', 'failed'] as const)
      await db.lineStampGenerateQueue.create({
        data: {
          userId: user.id,
          imageUri: `k/${randomUUID()}`,
          imageType: 'image/jpeg',
          source: 'http',
          status,
        },
      });
    await newUser(db, { deletedAt: new Date() });

    const { text, values } = await scrapeApi();
    expect(values.get('chat_turns_by_status{status="settled"}')).toBe(2);
    expect(values.get('chat_turns_by_status{status="held"}')).toBe(1);
    expect(values.get('chat_turns_by_status{status="released"}')).toBe(1);
    expect(values.get('points_held_sum')).toBe(heldEstimate);
    expect(values.get('points_charged_sum')).toBe(charged);
    expect(charged).toBeGreaterThan(0);
    expect(values.get('usage_points_by_model{model="phi-3-mini"}')).toBe(a.priced.points);
    expect(values.get('usage_points_by_model{model="gpt-4o-mini"}')).toBe(b.priced.points);
    expect(values.get('usage_cost_yen_by_model{model="phi-3-mini"}')).toBeCloseTo(yenSmall, 8);
    expect(values.get('usage_turns_by_model{model="gpt-4o-mini"}')).toBe(1);
    expect(values.get('stamp_jobs_by_status{status="completed"}')).toBe(1);
    expect(values.get('stamp_jobs_by_status{status="failed"}')).toBe(2);
    expect(values.get('stamp_jobs_by_status{status="queued"}')).toBe(0);
    expect(values.get('grants_by_reason{reason="purchase"}')).toBe(1);
    expect(values.get('grants_by_reason{reason="subscription"}')).toBe(1);
    expect(values.get('granted_points_by_reason{reason="purchase"}')).toBe(5000);
    expect(values.get('users_by_state{state="active"}')).toBe(1);
    expect(values.get('users_by_state{state="deleted"}')).toBe(1);
    expect(values.get('business_metrics_up')).toBe(1);
    // The API's own process metrics are still there.
    expect(text).toMatch(/^# TYPE http_requests_total counter$/m);
    expect(text).toMatch(/^# HELP chat_turns_by_status /m);
  });

  it('the snapshot is cached (one set of queries per ttl), then refreshed', async () => {
    let clock = 1_000_000;
    const registry = new Registry();
    registerBusinessMetrics(registry, db, { ttlMs: 10_000, now: () => clock });
    const held = async () => parseMetrics(await registry.metrics()).get('points_held_sum');
    expect(await held()).toBe(heldEstimate);

    const user = await newUser(db, { planId: 'enterprise' });
    await ledger.grantPoints({
      sourceRef: `t_${randomUUID()}`,
      userId: user.id,
      points: 10,
      expiresAt: null,
      reason: 'test',
    });
    await ledger.reserveTurn({
      turnId: `chat-${randomUUID()}`,
      userId: user.id,
      estimatePoints: 4,
    });
    clock += 9_999;
    expect(await held()).toBe(heldEstimate); // cached
    clock += 1;
    expect(await held()).toBe(heldEstimate + 4); // refreshed
  });

  it('a database failure keeps the last values and reports business_metrics_up 0', async () => {
    const registry = new Registry();
    let fail = false;
    const flaky = new Proxy(db, {
      get(target, prop, receiver) {
        if (prop === '$queryRaw' && fail) return () => Promise.reject(new Error('database down'));
        return Reflect.get(target, prop, receiver) as unknown;
      },
    });
    let clock = 0;
    registerBusinessMetrics(registry, flaky, { ttlMs: 1, now: () => clock });
    const first = parseMetrics(await registry.metrics());
    expect(first.get('business_metrics_up')).toBe(1);
    fail = true;
    clock += 10;
    const second = parseMetrics(await registry.metrics());
    expect(second.get('business_metrics_up')).toBe(0);
    expect(second.get('points_charged_sum')).toBe(first.get('points_charged_sum'));
  });

  it('serveMetrics serves a process registry over HTTP', async () => {
    const metrics = createMetrics();
    metrics.chatTurns.inc({ outcome: 'answered' }, 3);
    const server = await serveMetrics(metrics.registry, 0, '127.0.0.1');
    try {
      const res = await fetch(`http://127.0.0.1:${boundPort(server)}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/text\/plain/);
      expect(parseMetrics(await res.text()).get('chat_turns_total{outcome="answered"}')).toBe(3);
      const post = await fetch(`http://127.0.0.1:${boundPort(server)}/metrics`, { method: 'POST' });
      expect(post.status).toBe(405);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  describe('a worker process (workers/main.ts)', () => {
    let worker: WorkerProcess | undefined;
    let metricsPort: number;
    let sdkPort: number;

    beforeAll(async () => {
      [metricsPort, sdkPort] = [await freePort(), await freePort()];
      worker = await spawnWorkerProcess(
        {
          DATABASE_URL: iso.url,
          TASK_QUEUE_PREFIX: config.env.TASK_QUEUE_PREFIX,
          WORKER_METRICS_PORT: String(metricsPort),
          WORKER_SDK_METRICS_PORT: String(sdkPort),
        },
        ['billing'],
      );
    }, 90_000);
    afterAll(async () => {
      if (worker && worker.child.exitCode === null) {
        worker.child.kill('SIGTERM');
        await worker.exited;
      }
    });

    it('serves its registry on WORKER_METRICS_PORT and the SDK metrics on WORKER_SDK_METRICS_PORT; the API sees the same facts from the database', async () => {
      // An admin grant executed by that worker process.
      const user = await newUser(db);
      const res = await fetch(`${api.url}/admin/users/${user.lineUserId}/points`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${config.env.ADMIN_TOKEN}`,
          'x-admin-actor': 'metrics-test',
          'content-type': 'application/json',
        },
        body: JSON.stringify({ delta: 42, reason: 'metrics', requestId: randomUUID() }),
      });
      expect(res.status).toBe(200);

      const own = await waitFor(async () => {
        const r = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
        const values = parseMetrics(await r.text());
        return values.get('grants_total{kind="admin_points"}') === 1 && values;
      }, 'the worker counter');
      expect(own.get('admin_actions_total{action="points.grant"}')).toBe(1);
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      for (const name of [
        'chat_turns_total',
        'points_charged_total',
        'llm_call_duration_seconds',
        'stamp_jobs_total',
        'business_errors_total',
      ])
        expect(text).toMatch(new RegExp(`^# HELP ${name} `, 'm'));

      const sdk = await waitFor(async () => {
        const r = await fetch(`http://127.0.0.1:${sdkPort}/metrics`).catch(() => null);
        const body = r && r.ok ? await r.text() : '';
        return (
          /^temporal_\w+/m.test(body) &&
          body.includes(`${config.env.TASK_QUEUE_PREFIX}billing`) &&
          body
        );
      }, 'the SDK metrics');
      expect(sdk).toMatch(/temporal_(worker_task_slots|request|activity|workflow)/);

      // One scrape of the API answers the same question from the database.
      registerBusinessMetrics(api.deps.metrics.registry, db).invalidate();
      const { values } = await scrapeApi();
      expect(values.get('grants_by_reason{reason="admin"}')).toBe(1);
      expect(values.get('granted_points_by_reason{reason="admin"}')).toBe(42);
    });
  });
});
