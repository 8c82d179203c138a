import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkflowNotFoundError } from '@temporalio/client';
import express from 'express';
import { createApiDeps } from '../../api/deps';
import { errorHandler } from '../../api/errors';
import { adminRouter } from '../../api/routes/admin';
import { TaskQueues } from '../../config/task-queues';
import { createLogger } from '../../lib/logger';
import { createMetrics } from '../../lib/metrics';
import { fixedClock } from '../../domain/clock';
import { makeLineUserId } from '../../stand-ins';
import { adminPointsWorkflowId } from '../../workflows/admin-adjust-points';
import { startBillingHarness, type BillingHarness } from '../support/billing-harness';
import { createTestUser } from '../support/users';
import { startWorker, testConfig, uniquePrefix } from '../support/workers';
import { ledgerAt, settleTurnOf } from './ops-fixtures';
import { toUsageResponse } from '../../api/usage-response';

/**
 * The admin API through the real API and a real billing worker (points go through the
 * adminAdjustPoints workflow): bearer auth, the operator header, validation naming the field,
 * the audit row of every change, and "nothing changes on any error".
 */
describe('admin API', () => {
  let h: BillingHarness;
  let token: string;

  beforeAll(async () => {
    h = await startBillingHarness('admin-api');
    token = h.config.env.ADMIN_TOKEN;
  });
  afterAll(async () => {
    await h?.stop();
  });

  interface Call {
    body?: unknown;
    rawBody?: string;
    auth?: string | null;
    actor?: string | null;
  }
  async function call(method: string, path: string, c: Call = {}) {
    const headers: Record<string, string> = {};
    const auth = c.auth === undefined ? `Bearer ${token}` : c.auth;
    if (auth !== null) headers.authorization = auth;
    const actor = c.actor === undefined ? 'operator-alice' : c.actor;
    if (actor !== null) headers['x-admin-actor'] = actor;
    if (c.body !== undefined || c.rawBody !== undefined)
      headers['content-type'] = 'application/json';
    const res = await fetch(`${h.apiUrl}${path}`, {
      method,
      headers,
      body: c.rawBody ?? (c.body === undefined ? undefined : JSON.stringify(c.body)),
    });
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // not JSON
    }
    return { status: res.status, body: json, text, headers: res.headers };
  }

  /** Everything an admin call could change for one user. */
  async function stateOf(lineUserId: string) {
    const user = await h.db.user.findUnique({ where: { lineUserId } });
    const userId = user?.id ?? '00000000-0000-0000-0000-000000000000';
    const [lots, grants, logs, audits, privileged] = await Promise.all([
      h.db.pointLot.findMany({ where: { userId }, orderBy: { id: 'asc' } }),
      h.db.pointGrant.findMany({ where: { userId }, orderBy: { id: 'asc' } }),
      h.db.pointLedgerLog.count({ where: { userId } }),
      h.db.adminAuditLog.findMany({
        where: { targetUserId: userId },
        orderBy: { createdAt: 'asc' },
      }),
      h.db.privilegedUser.findUnique({ where: { lineUserId } }),
    ]);
    return { user, lots, grants, logs, audits, privileged };
  }

  const pointsBody = (extra: Record<string, unknown> = {}) => ({
    delta: 250,
    reason: 'compensation for outage #42',
    expiresInDays: 30,
    requestId: randomUUID(),
    ...extra,
  });

  // -------------------------------------------------------------------------------------
  describe('authentication and the operator header', () => {
    const someLine = 'U' + '0'.repeat(32);
    const endpoints: [string, string, unknown][] = [
      ['GET', `/admin/users/${someLine}`, undefined],
      [
        'POST',
        `/admin/users/${someLine}/points`,
        { delta: 1, reason: 'x', requestId: randomUUID() },
      ],
      ['PUT', `/admin/users/${someLine}/plan`, { planId: 'basic' }],
      ['POST', '/admin/privileged-users', { lineUserId: someLine }],
      ['DELETE', `/admin/privileged-users/${someLine}`, undefined],
      ['GET', '/admin/api/usage?days=30', undefined],
    ];

    it.each(endpoints)('%s %s: no Authorization header → 401', async (method, path, body) => {
      const res = await call(method, path, { body, auth: null });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ error_code: 'UNAUTHENTICATED' });
      expect(String(res.body.error)).toMatch(/Authorization: Bearer <ADMIN_TOKEN>/);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    });

    it.each(endpoints)('%s %s: a wrong token → 401', async (method, path, body) => {
      for (const auth of [
        `Bearer ${token}x`,
        `Bearer ${token.slice(0, -1)}`,
        'Bearer x',
        `Basic ${token}`,
      ]) {
        const res = await call(method, path, { body, auth });
        expect(res.status).toBe(401);
        expect(res.body).toMatchObject({ error_code: 'UNAUTHENTICATED' });
      }
    });

    it('a LINE Login ID token is not an admin token', async () => {
      const res = await call('GET', `/admin/users/${someLine}`, { auth: 'Bearer a.b.c' });
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid admin token');
    });

    it.each(endpoints.filter(([m]) => m !== 'GET'))(
      '%s %s: no X-Admin-Actor → 400 naming the header, nothing changed',
      async (method, path, body) => {
        const before = await stateOf(someLine);
        const res = await call(method, path, { body, actor: null });
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ error_code: 'INVALID_INPUT', field: 'X-Admin-Actor' });
        expect(String(res.body.error)).toMatch(/X-Admin-Actor/);
        const blank = await call(method, path, { body, actor: '   ' });
        expect(blank.status).toBe(400);
        expect(await stateOf(someLine)).toEqual(before);
      },
    );
  });

  // -------------------------------------------------------------------------------------
  describe('GET /admin/users/:lineUserId', () => {
    it('shows plan, balance and lots, usage today, privilege, tickets and recent turns with Temporal links', async () => {
      const user = await createTestUser(h.db, h.ledger, { planId: 'basic', points: 500 });
      const periodEnd = new Date(Date.now() + 20 * 86_400_000);
      await h.db.user.update({ where: { id: user.id }, data: { planPeriodEnd: periodEnd } });
      await h.db.lineStampTicket.createMany({
        data: [
          { userId: user.id },
          { userId: user.id },
          { userId: user.id, deletedAt: new Date() },
        ],
      });
      const ledger = h.ledger;
      const settled = await settleTurnOf(ledger, h.config, { userId: user.id, tier: 'mid' });
      await h.db.chatArchive.createMany({
        data: [
          {
            userId: user.id,
            turnId: settled.turnId,
            role: 'user',
            content: 'q',
            createdAt: new Date(Date.now() - 1000),
          },
          {
            userId: user.id,
            turnId: settled.turnId,
            role: 'assistant',
            content: 'a',
            createdAt: new Date(Date.now() - 1000),
          },
        ],
      });
      const heldTurn = `chat-${randomUUID()}`;
      await new Promise((r) => setTimeout(r, 5));
      await ledger.reserveTurn({ turnId: heldTurn, userId: user.id, estimatePoints: 9 });

      const res = await call('GET', `/admin/users/${user.lineUserId}`);
      expect(res.status).toBe(200);
      const b = res.body as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
      expect(b.user).toMatchObject({ id: user.id, lineUserId: user.lineUserId, deletedAt: null });
      expect(b.plan).toEqual({
        planId: 'basic',
        name: h.config.catalog.plans.basic!.name,
        periodEnd: periodEnd.toISOString(),
        effectivePlanId: 'basic',
        dailyChatLimit: 10,
      });
      const balance = await ledger.getBalance(user.id);
      expect(b.balance).toEqual(balance);
      expect(b.balance.held).toBe(9);
      expect(b.usageToday).toEqual(toUsageResponse(await ledger.getUsage(user.id)));
      expect(b.usageToday.remaining_count).toBe(8); // the settled turn and the held one
      expect(b.privileged).toBeNull();
      expect(b.ticketsLeft).toBe(2);

      const ui = h.config.env.TEMPORAL_UI_URL.replace(/\/+$/, '');
      const ns = h.config.env.TEMPORAL_NAMESPACE;
      expect(b.recentTurns).toEqual([
        {
          turnId: heldTurn,
          at: expect.any(String),
          status: 'held',
          points: 0,
          model: null,
          temporalUrl: `${ui}/namespaces/${ns}/workflows/${heldTurn}`,
        },
        {
          turnId: settled.turnId,
          at: expect.any(String),
          status: 'settled',
          points: settled.priced.points,
          model: settled.model,
          temporalUrl: `${ui}/namespaces/${ns}/workflows/${settled.turnId}`,
        },
      ]);
    });

    it('lists at most the last 20 turns, newest first, including privileged turns (archive only)', async () => {
      const user = await createTestUser(h.db, h.ledger, { points: 10 });
      const base = Date.now() - 60_000;
      await h.db.chatArchive.createMany({
        data: Array.from({ length: 25 }, (_, i) => ({
          userId: user.id,
          turnId: `chat-priv-${String(i).padStart(2, '0')}-${randomUUID()}`,
          role: 'user' as const,
          content: 'x',
          createdAt: new Date(base + i * 100),
        })),
      });
      const b = (await call('GET', `/admin/users/${user.lineUserId}`)).body as {
        recentTurns: { turnId: string; status: string | null }[];
      };
      expect(b.recentTurns).toHaveLength(20);
      expect(b.recentTurns[0]!.turnId).toMatch(/^chat-priv-24-/);
      expect(b.recentTurns[19]!.turnId).toMatch(/^chat-priv-05-/);
      expect(b.recentTurns.every((t) => t.status === null)).toBe(true);
    });

    it('unknown user → 404 UNKNOWN_USER; malformed LINE user ID → 400', async () => {
      const unknown = await call('GET', `/admin/users/${makeLineUserId()}`);
      expect(unknown.status).toBe(404);
      expect(unknown.body).toMatchObject({ error_code: 'UNKNOWN_USER' });
      const bad = await call('GET', '/admin/users/not-a-line-id');
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ error_code: 'INVALID_INPUT', field: 'lineUserId' });
    });
  });

  // -------------------------------------------------------------------------------------
  describe('POST /admin/users/:lineUserId/points', () => {
    it('grants through the adminAdjustPoints workflow and audits it; a repeat changes nothing', async () => {
      const user = await createTestUser(h.db, h.ledger, { points: 100 });
      const body = pointsBody();
      const started = Date.now();
      const res = await call('POST', `/admin/users/${user.lineUserId}/points`, { body });
      expect(res.status).toBe(200);
      const workflowId = adminPointsWorkflowId(body.requestId);
      expect(res.body).toMatchObject({
        workflowId,
        status: 'completed',
        repeated: false,
        applied: true,
        userId: user.id,
        delta: 250,
        balanceBefore: 100,
        balanceAfter: 350,
        auditId: body.requestId,
      });
      expect(res.body.temporalUrl).toBe(
        `${h.config.env.TEMPORAL_UI_URL.replace(/\/+$/, '')}/namespaces/${h.config.env.TEMPORAL_NAMESPACE}/workflows/${workflowId}`,
      );
      // A real workflow on the billing queue did it.
      const description = await h.temporal.workflow.getHandle(workflowId).describe();
      expect(description.type).toBe('adminAdjustPoints');
      expect(description.status.name).toBe('COMPLETED');
      expect(description.taskQueue).toBe(`${h.config.env.TASK_QUEUE_PREFIX}billing`);

      const s = await stateOf(user.lineUserId);
      const lot = s.lots.find((l) => l.sourceRef === `admin:${body.requestId}`);
      expect(lot?.amount).toBe(250);
      const days = (lot!.expiresAt!.getTime() - started) / 86_400_000;
      expect(days).toBeGreaterThan(29.9);
      expect(days).toBeLessThan(30.1);
      expect(s.grants.find((g) => g.sourceRef === `admin:${body.requestId}`)?.reason).toBe(
        'admin:compensation for outage #42',
      );
      expect(s.audits).toHaveLength(1);
      expect(s.audits[0]).toMatchObject({
        id: body.requestId,
        actor: 'operator-alice',
        action: 'points.grant',
        targetUserId: user.id,
        reason: 'compensation for outage #42',
        before: { balance: 100, held: 0 },
        after: { balance: 350, delta: 250, sourceRef: `admin:${body.requestId}` },
      });
      expect(await h.ledger.replayCheck(user.id)).toEqual([]);

      const again = await call('POST', `/admin/users/${user.lineUserId}/points`, { body });
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({
        workflowId,
        repeated: true,
        applied: true,
        balanceAfter: 350,
      });
      expect(await stateOf(user.lineUserId)).toEqual(s);
    });

    it('a negative delta charges (action points.adjust), may overdraw, and never takes an expiry', async () => {
      const user = await createTestUser(h.db, h.ledger, { points: 40 });
      const body = pointsBody({
        delta: -100,
        expiresInDays: undefined,
        reason: 'abuse refund reversal',
      });
      const res = await call('POST', `/admin/users/${user.lineUserId}/points`, { body });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ applied: true, balanceBefore: 40, balanceAfter: -60 });
      const s = await stateOf(user.lineUserId);
      expect(s.audits.map((a) => [a.action, a.actor])).toEqual([
        ['points.adjust', 'operator-alice'],
      ]);
      expect((await h.ledger.getBalance(user.id)).balance).toBe(-60);
      expect(await h.ledger.replayCheck(user.id)).toEqual([]);
    });

    it('the same requestId for another request → 409, nothing changed', async () => {
      const user = await createTestUser(h.db, h.ledger, { points: 10 });
      const other = await createTestUser(h.db, h.ledger, { points: 10 });
      const body = pointsBody({ delta: 5 });
      expect((await call('POST', `/admin/users/${user.lineUserId}/points`, { body })).status).toBe(
        200,
      );
      const before = [await stateOf(user.lineUserId), await stateOf(other.lineUserId)];
      const changed = await call('POST', `/admin/users/${user.lineUserId}/points`, {
        body: { ...body, delta: 6 },
      });
      expect(changed.status).toBe(409);
      expect(changed.body).toMatchObject({ error_code: 'REQUEST_ID_REUSED' });
      const otherUser = await call('POST', `/admin/users/${other.lineUserId}/points`, { body });
      expect(otherUser.status).toBe(409);
      expect([await stateOf(user.lineUserId), await stateOf(other.lineUserId)]).toEqual(before);
    });

    it('the same requestId with another expiresInDays → 409 (the durable idempotency record)', async () => {
      const user = await createTestUser(h.db, h.ledger, { points: 10 });
      const body = pointsBody({ delta: 5, expiresInDays: 30 });
      const url = `/admin/users/${user.lineUserId}/points`;
      expect((await call('POST', url, { body })).status).toBe(200);
      const before = await stateOf(user.lineUserId);
      const changed = await call('POST', url, { body: { ...body, expiresInDays: 365 } });
      expect(changed.status).toBe(409);
      expect(changed.body).toMatchObject({ error_code: 'REQUEST_ID_REUSED' });
      // The durable record decides before any workflow starts; a true repeat is still a repeat.
      const repeat = await call('POST', url, { body });
      expect(repeat.status).toBe(200);
      expect(repeat.body).toMatchObject({ repeated: true });
      expect(await stateOf(user.lineUserId)).toEqual(before);
      expect(
        await h.db.idempotencyRecord.findUnique({
          where: { key: `admin-points:${body.requestId}` },
        }),
      ).toMatchObject({ kind: 'admin_adjustment', userId: user.id });
    });

    const badBodies: [string, unknown, string, RegExp][] = [
      ['missing delta', { reason: 'r', requestId: randomUUID() }, 'delta', /delta: is required/],
      ['delta 0', { delta: 0, reason: 'r', requestId: randomUUID() }, 'delta', /must not be 0/],
      [
        'fractional delta',
        { delta: 1.5, reason: 'r', requestId: randomUUID() },
        'delta',
        /integer/,
      ],
      [
        'delta as a string',
        { delta: '10', reason: 'r', requestId: randomUUID() },
        'delta',
        /must be a number/,
      ],
      ['huge delta', { delta: 1e12, reason: 'r', requestId: randomUUID() }, 'delta', /at most/],
      ['missing reason', { delta: 1, requestId: randomUUID() }, 'reason', /reason: is required/],
      [
        'blank reason',
        { delta: 1, reason: '   ', requestId: randomUUID() },
        'reason',
        /must not be empty/,
      ],
      ['missing requestId', { delta: 1, reason: 'r' }, 'requestId', /requestId: is required/],
      ['requestId not a UUID', { delta: 1, reason: 'r', requestId: 'abc' }, 'requestId', /UUID/],
      [
        'expiresInDays 0',
        { delta: 1, reason: 'r', requestId: randomUUID(), expiresInDays: 0 },
        'expiresInDays',
        /at least 1/,
      ],
      [
        'expiresInDays with a negative delta',
        { delta: -1, reason: 'r', requestId: randomUUID(), expiresInDays: 5 },
        'expiresInDays',
        /positive delta/,
      ],
      [
        'an unknown field',
        { delta: 1, reason: 'r', requestId: randomUUID(), points: 5 },
        'points',
        /Unrecognized key/,
      ],
      ['an array', [1, 2], '', /JSON object/],
    ];
    it.each(badBodies)(
      '%s → 400 naming the field, nothing changed, no workflow',
      async (_what, body, field, message) => {
        const user = await createTestUser(h.db, h.ledger, { points: 10 });
        const before = await stateOf(user.lineUserId);
        const res = await call('POST', `/admin/users/${user.lineUserId}/points`, { body });
        expect(res.status).toBe(400);
        expect(res.body.error_code).toBe('INVALID_INPUT');
        expect(String(res.body.error)).toMatch(message);
        if (field) expect(res.body.field).toBe(field);
        expect(await stateOf(user.lineUserId)).toEqual(before);
        const requestId = (body as { requestId?: unknown }).requestId;
        if (typeof requestId === 'string' && /^[0-9a-f-]{36}$/.test(requestId))
          await expect(
            h.temporal.workflow.getHandle(adminPointsWorkflowId(requestId)).describe(),
          ).rejects.toBeInstanceOf(WorkflowNotFoundError);
      },
    );

    it('malformed JSON and a non-JSON body → 400, nothing changed', async () => {
      const user = await createTestUser(h.db, h.ledger, { points: 10 });
      const before = await stateOf(user.lineUserId);
      const malformed = await call('POST', `/admin/users/${user.lineUserId}/points`, {
        rawBody: '{"delta": 5,',
      });
      expect(malformed.status).toBe(400);
      expect(malformed.body).toMatchObject({ error: 'malformed JSON body' });
      const res = await fetch(`${h.apiUrl}/admin/users/${user.lineUserId}/points`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'x-admin-actor': 'a',
          'content-type': 'text/plain',
        },
        body: 'delta=5',
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: expect.stringMatching(/JSON object/) });
      expect(await stateOf(user.lineUserId)).toEqual(before);
    });

    it('unknown user → 404 and no workflow started', async () => {
      const lineUserId = makeLineUserId();
      const body = pointsBody();
      const res = await call('POST', `/admin/users/${lineUserId}/points`, { body });
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ error_code: 'UNKNOWN_USER' });
      await expect(
        h.temporal.workflow.getHandle(adminPointsWorkflowId(body.requestId)).describe(),
      ).rejects.toBeInstanceOf(WorkflowNotFoundError);
      expect(await h.db.adminAuditLog.findUnique({ where: { id: body.requestId } })).toBeNull();
    });
  });

  it('POST .../points answers 202 while no worker has run it yet, and the result once done', async () => {
    // The admin router on a task queue no worker serves yet, waiting only 300 ms.
    const config = testConfig({ TASK_QUEUE_PREFIX: uniquePrefix('admin-202') });
    const app = express().use(
      adminRouter(
        createApiDeps({
          config,
          db: h.db,
          s3: undefined as never,
          temporal: h.temporal,
          logger: createLogger('silent'),
          metrics: createMetrics(),
        }),
        { pointsWaitMs: 300 },
      ),
    );
    app.use(errorHandler(createLogger('silent')));
    const server: Server = await new Promise((resolve) => {
      const srv = app.listen(0, '127.0.0.1', () => resolve(srv));
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const user = await createTestUser(h.db, h.ledger, { points: 1 });
    // No LINE notice: this router's config has no LINE stand-in, and the 202 path is the point.
    const body = { ...pointsBody({ delta: 9 }), notify: false };
    const post = () =>
      fetch(`${url}/admin/users/${user.lineUserId}/points`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'x-admin-actor': 'op',
          'content-type': 'application/json',
        },
        body: JSON.stringify(body),
      });
    const worker = { current: undefined as Awaited<ReturnType<typeof startWorker>> | undefined };
    try {
      const pending = await post();
      expect(pending.status).toBe(202);
      expect(await pending.json()).toMatchObject({
        workflowId: adminPointsWorkflowId(body.requestId),
        status: 'running',
      });
      expect((await h.ledger.getBalance(user.id)).balance).toBe(1);
      // The same request again joins the running workflow (no second one).
      expect((await post()).status).toBe(202);

      worker.current = await startWorker(config, TaskQueues.billing);
      await h.temporal.workflow.getHandle(adminPointsWorkflowId(body.requestId)).result();
      const done = await post();
      expect(done.status).toBe(200);
      expect(await done.json()).toMatchObject({ repeated: true, applied: true, balanceAfter: 10 });
      expect((await stateOf(user.lineUserId)).audits).toHaveLength(1);
    } finally {
      await worker.current?.stop();
      await new Promise((r) => server.close(r));
    }
  });

  // -------------------------------------------------------------------------------------
  describe('PUT /admin/users/:lineUserId/plan', () => {
    it('sets the plan and period end in one transaction with its audit row', async () => {
      const user = await createTestUser(h.db, h.ledger, { planId: 'free' });
      const periodEnd = new Date(Date.now() + 31 * 86_400_000).toISOString();
      const res = await call('PUT', `/admin/users/${user.lineUserId}/plan`, {
        body: { planId: 'premium', periodEnd, reason: 'trial' },
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        lineUserId: user.lineUserId,
        changed: true,
        before: { planId: 'free', planPeriodEnd: null },
        after: { planId: 'premium', planPeriodEnd: periodEnd },
        // The user is told on LINE by its own workflow (test/integration/admin-console.test.ts).
        notice: expect.objectContaining({ started: true }),
      });
      const s = await stateOf(user.lineUserId);
      expect(s.user).toMatchObject({ planId: 'premium', planPeriodEnd: new Date(periodEnd) });
      expect(s.audits).toHaveLength(1);
      expect(s.audits[0]).toMatchObject({
        actor: 'operator-alice',
        action: 'plan.set',
        targetUserId: user.id,
        before: { planId: 'free', planPeriodEnd: null },
        after: { planId: 'premium', planPeriodEnd: periodEnd },
        reason: 'trial',
      });
      expect((await h.ledger.getUsage(user.id)).dailyLimit).toBe(50);

      // Without periodEnd the plan has no end; the same state again changes nothing.
      const forever = await call('PUT', `/admin/users/${user.lineUserId}/plan`, {
        body: { planId: 'enterprise' },
      });
      expect(forever.body).toMatchObject({
        changed: true,
        after: { planId: 'enterprise', planPeriodEnd: null },
      });
      const same = await call('PUT', `/admin/users/${user.lineUserId}/plan`, {
        body: { planId: 'enterprise' },
      });
      expect(same.status).toBe(200);
      expect(same.body).toMatchObject({ changed: false });
      expect((await stateOf(user.lineUserId)).audits).toHaveLength(2);
    });

    const bad: [string, unknown, string, RegExp][] = [
      [
        'unknown plan',
        { planId: 'gold' },
        'planId',
        /unknown plan "gold" \(plans: free, basic, premium, enterprise\)/,
      ],
      ['missing planId', {}, 'planId', /planId: is required/],
      ['periodEnd not a date', { planId: 'basic', periodEnd: 'tomorrow' }, 'periodEnd', /ISO 8601/],
      [
        'periodEnd in the past',
        { planId: 'basic', periodEnd: '2020-01-01T00:00:00Z' },
        'periodEnd',
        /in the future/,
      ],
      ['unknown field', { planId: 'basic', plan: 'x' }, 'plan', /Unrecognized key/],
    ];
    it.each(bad)(
      '%s → 400 naming the field, nothing changed',
      async (_what, body, field, message) => {
        const user = await createTestUser(h.db, h.ledger, { planId: 'basic' });
        const before = await stateOf(user.lineUserId);
        const res = await call('PUT', `/admin/users/${user.lineUserId}/plan`, { body });
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ error_code: 'INVALID_INPUT', field });
        expect(String(res.body.error)).toMatch(message);
        expect(await stateOf(user.lineUserId)).toEqual(before);
      },
    );

    it('unknown user → 404', async () => {
      const res = await call('PUT', `/admin/users/${makeLineUserId()}/plan`, {
        body: { planId: 'basic' },
      });
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ error_code: 'UNKNOWN_USER' });
    });
  });

  // -------------------------------------------------------------------------------------
  describe('privileged users', () => {
    it('POST lists a user (201, audited), a repeat is 200 without a second audit, DELETE removes it', async () => {
      const user = await createTestUser(h.db, h.ledger, { planId: 'free' });
      const res = await call('POST', '/admin/privileged-users', {
        body: { lineUserId: user.lineUserId, note: 'QA account' },
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        lineUserId: user.lineUserId,
        changed: true,
        privileged: {
          lineUserId: user.lineUserId,
          note: 'QA account',
          createdBy: 'operator-alice',
        },
      });
      const again = await call('POST', '/admin/privileged-users', {
        body: { lineUserId: user.lineUserId },
      });
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ changed: false, privileged: { note: 'QA account' } });

      let s = await stateOf(user.lineUserId);
      expect(s.audits.map((a) => [a.action, a.before, a.reason])).toEqual([
        ['privileged.add', null, 'QA account'],
      ]);
      expect((await h.ledger.getUsage(user.id)).dailyLimit).toBe(-1);
      const view = await call('GET', `/admin/users/${user.lineUserId}`);
      expect(view.body.privileged).toMatchObject({
        note: 'QA account',
        createdBy: 'operator-alice',
      });

      const del = await call('DELETE', `/admin/privileged-users/${user.lineUserId}`, {
        actor: 'operator-bob',
      });
      expect(del.status).toBe(200);
      expect(del.body).toMatchObject({ changed: true, removed: { note: 'QA account' } });
      s = await stateOf(user.lineUserId);
      expect(s.privileged).toBeNull();
      expect(s.audits.map((a) => [a.action, a.actor, a.after])).toEqual([
        ['privileged.add', 'operator-alice', expect.anything()],
        ['privileged.remove', 'operator-bob', null],
      ]);

      const gone = await call('DELETE', `/admin/privileged-users/${user.lineUserId}`);
      expect(gone.status).toBe(404);
      expect(gone.body).toMatchObject({ error_code: 'NOT_FOUND' });
      expect(await stateOf(user.lineUserId)).toEqual(s);
    });

    it('a LINE user may be listed before first contact (audit has no target user)', async () => {
      const lineUserId = makeLineUserId();
      const res = await call('POST', '/admin/privileged-users', { body: { lineUserId } });
      expect(res.status).toBe(201);
      const audit = await h.db.adminAuditLog.findFirst({
        where: { action: 'privileged.add', after: { path: ['lineUserId'], equals: lineUserId } },
      });
      expect(audit).toMatchObject({ targetUserId: null, actor: 'operator-alice' });
    });

    it.each([
      ['missing lineUserId', {}, 'lineUserId', /lineUserId: is required/],
      ['malformed lineUserId', { lineUserId: 'U123' }, 'lineUserId', /LINE user ID/],
      [
        'note too long',
        { lineUserId: makeLineUserId(), note: 'x'.repeat(201) },
        'note',
        /at most 200/,
      ],
      ['unknown field', { lineUserId: makeLineUserId(), admin: true }, 'admin', /Unrecognized key/],
    ])(
      'POST with %s → 400 naming the field, nothing listed',
      async (_what, body, field, message) => {
        const count = await h.db.privilegedUser.count();
        const audits = await h.db.adminAuditLog.count();
        const res = await call('POST', '/admin/privileged-users', { body });
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ error_code: 'INVALID_INPUT', field });
        expect(String(res.body.error)).toMatch(message);
        const lineUserId = (body as { lineUserId?: string }).lineUserId;
        if (lineUserId)
          expect(await h.db.privilegedUser.findUnique({ where: { lineUserId } })).toBeNull();
        // Other test files may add rows in parallel, but never fewer.
        expect(await h.db.privilegedUser.count()).toBeGreaterThanOrEqual(count);
        expect(await h.db.adminAuditLog.count()).toBeGreaterThanOrEqual(audits);
      },
    );

    it('DELETE with a malformed LINE user ID → 400', async () => {
      const res = await call('DELETE', '/admin/privileged-users/nobody');
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error_code: 'INVALID_INPUT', field: 'lineUserId' });
    });
  });

  // -------------------------------------------------------------------------------------
  describe('usage page', () => {
    it.each(['/admin', '/admin/usage'])(
      'GET %s serves a self-contained page (no CDN) behind a nonce CSP, without data',
      async (pagePath) => {
        const res = await fetch(`${h.apiUrl}${pagePath}`);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/text\/html/);
        const csp = res.headers.get('content-security-policy') ?? '';
        const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
        expect(nonce).toBeTruthy();
        expect(csp).toMatch(/default-src 'none'/);
        expect(csp).toMatch(/connect-src 'self'/);
        const html = await res.text();
        expect(html).toContain(`<script nonce="${nonce}">`);
        expect(html).toContain("'/admin/api/usage' + q");
        expect(html).toContain('/admin/api/users?q=');
        expect(html).toContain('sessionStorage');
        expect(html).not.toMatch(/<script[^>]+src=/);
        expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
        expect(html).not.toContain(token);
      },
    );

    it('GET /admin/api/usage aggregates usage_records per local day and model in SQL', async () => {
      // Rows in 2021 (Asia/Tokyo days), a period no other test writes to.
      const user = await createTestUser(h.db, h.ledger);
      const at = (iso: string) => ledgerAt(h.db, h.config, fixedClock(iso));
      const turns = [
        // 2021-06-09 23:50 JST: the day before the period
        await settleTurnOf(at('2021-06-09T14:50:00Z'), h.config, {
          userId: user.id,
          tier: 'small',
        }),
        // 2021-06-10 23:30 JST and 2021-06-10 09:00 JST
        await settleTurnOf(at('2021-06-10T14:30:00Z'), h.config, {
          userId: user.id,
          tier: 'small',
        }),
        await settleTurnOf(at('2021-06-10T00:00:00Z'), h.config, {
          userId: user.id,
          tier: 'frontier',
          inputTokens: 5000,
          outputTokens: 3000,
        }),
        // 2021-06-11 00:10 JST (still 06-10 in UTC)
        await settleTurnOf(at('2021-06-10T15:10:00Z'), h.config, {
          userId: user.id,
          tier: 'frontier',
        }),
      ];
      const [, d10small, d10frontier, d11frontier] = turns;
      const sum = (xs: { points: number }[]) => xs.reduce((s, x) => s + x.points, 0);
      const yen = (t: typeof d10small) => t!.priced.records.reduce((s, r) => s + r.yen, 0);

      const res = await call('GET', '/admin/api/usage?days=3&to=2021-06-12');
      expect(res.status).toBe(200);
      const r = res.body as any; // eslint-disable-line @typescript-eslint/no-explicit-any
      expect(r).toMatchObject({ timeZone: 'Asia/Tokyo', from: '2021-06-10', to: '2021-06-12' });
      expect(r.models).toEqual(['gpt-4o-mini', 'phi-3-mini']);
      expect(r.days.map((d: { date: string }) => d.date)).toEqual([
        '2021-06-10',
        '2021-06-11',
        '2021-06-12',
      ]);
      const [d10, d11, d12] = r.days;
      expect(d10.turns).toBe(2);
      expect(d10.points).toBe(sum([d10small!.priced, d10frontier!.priced]));
      expect(d10.byModel['phi-3-mini']).toMatchObject({
        turns: 1,
        points: d10small!.priced.points,
      });
      expect(d10.byModel['phi-3-mini'].yen).toBeCloseTo(yen(d10small), 6);
      expect(d10.byModel['gpt-4o-mini'].yen).toBeCloseTo(yen(d10frontier), 6);
      expect(d11).toMatchObject({ turns: 1, points: d11frontier!.priced.points });
      expect(Object.keys(d11.byModel)).toEqual(['gpt-4o-mini']);
      expect(d12).toEqual({
        date: '2021-06-12',
        turns: 0,
        points: 0,
        yen: 0,
        dollars: 0,
        byModel: {},
      });
      expect(r.totals.turns).toBe(3);
      expect(r.totals.points).toBe(
        sum([d10small!.priced, d10frontier!.priced, d11frontier!.priced]),
      );
      expect(r.totals.yen).toBeCloseTo(yen(d10small) + yen(d10frontier) + yen(d11frontier), 6);
      expect(r.totals.byModel['gpt-4o-mini'].turns).toBe(2);
    });

    it.each([
      ['days=0', 'days'],
      ['days=367', 'days'],
      ['days=abc', 'days'],
      ['days=5&to=2021-02-30', 'to'],
      ['days=5&to=yesterday', 'to'],
    ])('GET /admin/api/usage?%s → 400 naming %s', async (query, field) => {
      const res = await call('GET', `/admin/api/usage?${query}`);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error_code: 'INVALID_INPUT', field });
    });

    it('defaults to the last 30 days ending today', async () => {
      const res = await call('GET', '/admin/api/usage');
      expect(res.status).toBe(200);
      expect((res.body.days as unknown[]).length).toBe(30);
    });
  });
});
