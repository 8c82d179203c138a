import { randomUUID } from 'node:crypto';
import { makeLineUserId } from '../../stand-ins';
import { startBillingHarness, type BillingHarness } from '../support/billing-harness';
import { createTestUser } from '../support/users';
import { lineIdToken } from './ops-fixtures';
import { toUsageResponse } from '../../api/usage-response';

/**
 * The user API (seed 004) through the real API: LINE Login ID-token auth, the usage view
 * exactly as seed 004 spells it, the balance with its lots.
 */
describe('user API', () => {
  let h: BillingHarness;

  beforeAll(async () => {
    h = await startBillingHarness('user-api', { worker: false });
  });
  afterAll(async () => {
    await h?.stop();
  });

  const get = (path: string, token?: string, rawAuth?: string) =>
    fetch(`${h.apiUrl}${path}`, {
      headers: rawAuth
        ? { authorization: rawAuth }
        : token
          ? { authorization: `Bearer ${token}` }
          : {},
    });
  const token = (lineUserId: string, overrides: Record<string, unknown> = {}, secret?: string) =>
    lineIdToken(h.config, lineUserId, overrides, secret);

  describe('GET /api/ai/usage', () => {
    it('answers seed 004 AIChatUsageResponse, exactly those four fields', async () => {
      const user = await createTestUser(h.db, h.ledger, { planId: 'basic', points: 100 });
      const res = await get('/api/ai/usage', token(user.lineUserId));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/application\/json/);
      const body = (await res.json()) as Record<string, unknown>;
      expect(Object.keys(body).sort()).toEqual(
        ['can_use_chat', 'daily_limit', 'remaining_count', 'reset_time'].sort(),
      );
      expect(body).toMatchObject({ remaining_count: 10, daily_limit: 10, can_use_chat: true });
      // Next local midnight in TIME_ZONE (Asia/Tokyo in tests), with its offset.
      expect(body.reset_time).toMatch(/^\d{4}-\d{2}-\d{2}T00:00:00\+09:00$/);
      expect(Date.parse(String(body.reset_time))).toBeGreaterThan(Date.now());
      expect(body).toEqual(toUsageResponse(await h.ledger.getUsage(user.id)));
    });

    it('counts today’s turns and says when the limit is reached', async () => {
      const user = await createTestUser(h.db, h.ledger, { planId: 'free', points: 100 });
      const limit = h.config.catalog.plans.free!.dailyChatLimit;
      for (let i = 0; i < limit; i++)
        await h.ledger.reserveTurn({
          turnId: `chat-${randomUUID()}`,
          userId: user.id,
          estimatePoints: 1,
        });
      const body = (await (await get('/api/ai/usage', token(user.lineUserId))).json()) as Record<
        string,
        unknown
      >;
      expect(body).toMatchObject({ remaining_count: 0, daily_limit: limit, can_use_chat: false });
    });

    it('a privileged user is unlimited (-1)', async () => {
      const user = await createTestUser(h.db, h.ledger, { planId: 'free' });
      await h.db.privilegedUser.create({
        data: { lineUserId: user.lineUserId, createdBy: 'test' },
      });
      const body = (await (await get('/api/ai/usage', token(user.lineUserId))).json()) as Record<
        string,
        unknown
      >;
      expect(body).toMatchObject({ daily_limit: -1, remaining_count: -1, can_use_chat: true });
    });
  });

  describe('GET /api/balance', () => {
    it('answers balance, held points and the lots in spending order', async () => {
      const user = await createTestUser(h.db, h.ledger, { planId: 'basic', points: 100 });
      const later = new Date(Date.now() + 90 * 86_400_000);
      await h.ledger.grantPoints({
        sourceRef: `test:${randomUUID()}`,
        userId: user.id,
        points: 50,
        expiresAt: later,
        reason: 'test',
      });
      await h.ledger.reserveTurn({
        turnId: `chat-${randomUUID()}`,
        userId: user.id,
        estimatePoints: 7,
      });

      const res = await get('/api/balance', token(user.lineUserId));
      expect(res.status).toBe(200);
      const body = (await res.json()) as {
        balance: number;
        held: number;
        lots: { amount: number; expires_at: string | null }[];
      };
      expect(Object.keys(body).sort()).toEqual(['balance', 'held', 'lots']);
      expect(body.balance).toBe(143);
      expect(body.held).toBe(7);
      expect(body.lots).toHaveLength(2);
      expect(body.lots.map((l) => l.amount)).toEqual([100, 50]);
      expect(body.lots[1]!.expires_at).toBe(later.toISOString());
      for (const lot of body.lots)
        expect(Object.keys(lot).sort()).toEqual(['amount', 'expires_at']);
    });

    it('a user with no points has balance 0 and no lots', async () => {
      const user = await createTestUser(h.db, h.ledger);
      const body = await (await get('/api/balance', token(user.lineUserId))).json();
      expect(body).toEqual({ balance: 0, held: 0, lots: [] });
    });
  });

  describe.each(['/api/ai/usage', '/api/balance'])('%s refuses', (path) => {
    let lineUserId: string;
    beforeAll(async () => {
      lineUserId = (await createTestUser(h.db, h.ledger, { points: 10 })).lineUserId;
    });

    async function expect401(res: Response, message: RegExp) {
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      const body = (await res.json()) as { error: string; error_code: string };
      expect(body.error_code).toBe('UNAUTHENTICATED');
      expect(body.error).toMatch(message);
    }

    it('no Authorization header: 401 saying what to send', async () => {
      await expect401(await get(path), /Authorization: Bearer <ID token>/);
    });
    it('another scheme: 401', async () => {
      await expect401(await get(path, undefined, `Basic ${btoa('a:b')}`), /missing credentials/);
    });
    it('a token that is not a JWT: 401', async () => {
      await expect401(await get(path, 'not-a-token'), /not a JWT/);
    });
    it('a token signed with another secret: 401', async () => {
      await expect401(
        await get(path, token(lineUserId, {}, 'another-secret-0123456789')),
        /signature/,
      );
    });
    it('an expired token: 401', async () => {
      await expect401(
        await get(path, token(lineUserId, { exp: Math.floor(Date.now() / 1000) - 5 })),
        /expired/,
      );
    });
    it('a token for another channel (audience): 401', async () => {
      await expect401(
        await get(path, token(lineUserId, { aud: 'another-channel' })),
        /another channel/,
      );
    });
    it('a LIFF token (ES256, signed with a key LINE publishes): 200', async () => {
      const now = Math.floor(Date.now() / 1000);
      const liff = h.line.signIdToken({
        iss: 'https://access.line.me',
        sub: lineUserId,
        aud: h.config.env.LINE_LOGIN_CHANNEL_ID,
        exp: now + 600,
        iat: now,
      });
      expect(JSON.parse(Buffer.from(liff.split('.')[0]!, 'base64url').toString())).toMatchObject({
        alg: 'ES256',
      });
      expect((await get(path, liff)).status).toBe(200);
      // The same claims with the signature of another token: refused.
      const other = h.line.signIdToken({ sub: 'Uother' }).split('.')[2];
      const [head, body] = liff.split('.');
      await expect401(await get(path, `${head}.${body}.${other}`), /signature/);
    });
    it('a token from another issuer: 401', async () => {
      await expect401(
        await get(path, token(lineUserId, { iss: 'https://evil.example' })),
        /issuer/,
      );
    });
    it('a valid token for a LINE user we do not know: 404 UNKNOWN_USER, and no user is created', async () => {
      const stranger = makeLineUserId();
      const res = await get(path, token(stranger));
      expect(res.status).toBe(404);
      const body = (await res.json()) as { error: string; error_code: string };
      expect(body.error_code).toBe('UNKNOWN_USER');
      expect(body.error).toMatch(/add the official account as a friend/);
      expect(await h.db.user.findUnique({ where: { lineUserId: stranger } })).toBeNull();
    });
    it('a user who unfollowed (soft-deleted): 404 UNKNOWN_USER', async () => {
      const gone = await createTestUser(h.db, h.ledger);
      await h.db.user.update({ where: { id: gone.id }, data: { deletedAt: new Date() } });
      const res = await get(path, token(gone.lineUserId));
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error_code: string }).error_code).toBe('UNKNOWN_USER');
    });
  });
});
