import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { Client } from '@temporalio/client';
import request from 'supertest';
import { createApp } from '../../api/app';
import { createPrisma } from '../../lib/db';
import { createLogger } from '../../lib/logger';
import { createMetrics } from '../../lib/metrics';
import { createS3 } from '../../lib/s3';
import { makeLineUserId } from '../../stand-ins';
import { testConfig } from '../support/workers';
import { lineIdToken } from './ops-fixtures';

/**
 * Issue #13, public surface: the /dev simulator and /metrics are never on the API port in
 * production; in development /dev answers loopback callers only; the user API is rate limited
 * per IP and per user; over-age ID tokens are refused.
 */
describe('public surface', () => {
  const opened: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const close of opened) await close();
  });

  function appWith(overrides: Record<string, string>) {
    const config = testConfig(overrides);
    const db = createPrisma(config.env.DATABASE_URL);
    const s3 = createS3(config.env);
    opened.push(async () => {
      await db.$disconnect();
      s3.destroy();
    });
    const app = createApp({
      config,
      db,
      s3,
      // Never reached: these requests start no workflow.
      temporal: {} as Client,
      logger: createLogger('silent'),
      metrics: createMetrics(),
    });
    return { app, config };
  }

  it('production (even with LOCAL_STAND_INS) serves neither /dev nor /metrics on the API port', async () => {
    const { app } = appWith({ NODE_ENV: 'production', LOCAL_STAND_INS: 'true' });
    const buy = await request(app)
      .post(`/dev/api/users/${makeLineUserId()}/buy`)
      .send({ productId: 'points_1200' });
    expect(buy.status).toBe(404);
    expect((await request(app).get('/dev')).status).toBe(404);
    expect((await request(app).get('/metrics')).status).toBe(404);
  });

  it('development serves /metrics on the API port', async () => {
    const { app } = appWith({ NODE_ENV: 'development' });
    expect((await request(app).get('/metrics')).status).toBe(200);
  });

  it('development refuses /dev callers that are not on loopback', async () => {
    const { app } = appWith({ NODE_ENV: 'development' });
    // A loopback proxy (trust proxy "loopback") forwarding someone else.
    const forwarded = await request(app)
      .post(`/dev/api/users/${makeLineUserId()}/buy`)
      .set('X-Forwarded-For', '203.0.113.7')
      .send({ productId: 'points_1200' });
    expect(forwarded.status).toBe(403);
    expect((await request(app).get('/dev').set('X-Forwarded-For', '203.0.113.7')).status).toBe(403);
    expect((await request(app).get('/dev')).status).toBe(200);

    // A direct connection to a non-loopback address of this machine, when it has one.
    const external = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    if (!external) return;
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '0.0.0.0', () => resolve(s));
    });
    try {
      const port = (server.address() as AddressInfo).port;
      const res = await fetch(`http://${external}:${port}/dev/api/users/${makeLineUserId()}/buy`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ productId: 'points_1200' }),
      });
      expect(res.status).toBe(403);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('limits user API requests per user (429)', async () => {
    const { app, config } = appWith({ USER_API_RATE_LIMIT_PER_USER: '3' });
    const lineUserId = makeLineUserId();
    const token = lineIdToken(config, lineUserId);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push(
        (await request(app).get('/api/balance').auth(token, { type: 'bearer' })).status,
      );
    expect(statuses.slice(0, 3)).not.toContain(429);
    expect(statuses[3]).toBe(429);
    // Another user is not affected.
    const other = lineIdToken(config, makeLineUserId());
    expect(
      (await request(app).get('/api/balance').auth(other, { type: 'bearer' })).status,
    ).not.toBe(429);
  });

  it('limits user API requests per IP (429), signed in or not', async () => {
    const { app } = appWith({ USER_API_RATE_LIMIT_PER_IP: '5' });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await request(app).get('/api/balance')).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses[5]).toBe(429);
  });

  it('refuses an over-age ID token', async () => {
    const { app, config } = appWith({});
    const now = Math.floor(Date.now() / 1000);
    const old = lineIdToken(config, makeLineUserId(), { iat: now - 2 * 3600, exp: now + 600 });
    const forever = lineIdToken(config, makeLineUserId(), { iat: now, exp: now + 3153600000 });
    for (const token of [old, forever]) {
      const res = await request(app).get('/api/balance').auth(token, { type: 'bearer' });
      expect(res.status).toBe(401);
      expect(res.body.error).toMatch(/too old/);
    }
  });
});
