import { createHmac } from 'node:crypto';
import { createCheckoutLinks } from '../../services/checkout';
import { LINE_LOGIN_ISSUER } from '../../api/auth';
import { createLogger } from '../../lib/logger';
import { makeLineUserId } from '../../stand-ins';
import { startBillingHarness, type BillingHarness } from '../support/billing-harness';

/**
 * Checkout through the real API and the real Stripe SDK against stripe-mock (which validates
 * every request against Stripe's OpenAPI spec): customer created once and reused, a Checkout
 * session per purchase, its URL answered. LINE Login ID tokens are signed here as LINE does.
 */
describe('checkout', () => {
  let h: BillingHarness;

  beforeAll(async () => {
    h = await startBillingHarness('checkout', { worker: false });
  });
  afterAll(async () => {
    await h.stop();
  });

  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  function idToken(lineUserId: string, overrides: Record<string, unknown> = {}, secret?: string) {
    const now = Math.floor(Date.now() / 1000);
    const head = b64({ typ: 'JWT', alg: 'HS256' });
    const body = b64({
      iss: LINE_LOGIN_ISSUER,
      sub: lineUserId,
      aud: h.config.env.LINE_LOGIN_CHANNEL_ID,
      exp: now + 3600,
      iat: now,
      ...overrides,
    });
    const sig = createHmac('sha256', secret ?? h.config.env.LINE_LOGIN_CHANNEL_SECRET)
      .update(`${head}.${body}`)
      .digest('base64url');
    return `${head}.${body}.${sig}`;
  }

  function post(body: unknown, token?: string) {
    return fetch(`${h.apiUrl}/api/checkout`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  }

  it('creates a session for a points pack, creating the Stripe customer once and reusing it', async () => {
    const lineUserId = makeLineUserId();
    const token = idToken(lineUserId);

    const res = await post({ productId: 'points_500' }, token);
    expect(res.status).toBe(201);
    const session = (await res.json()) as Record<string, unknown>;
    expect(session).toMatchObject({ productId: 'points_500', mode: 'payment' });
    expect(String(session.sessionId)).toMatch(/^cs_/);
    expect(String(session.url)).toMatch(/^https:\/\/checkout\.stripe\.com\//);

    const user = await h.db.user.findUniqueOrThrow({ where: { lineUserId } });
    expect(user.stripeCustomerId).toMatch(/^cus_/);

    const again = await post({ productId: 'sub_basic' }, token);
    expect(again.status).toBe(201);
    expect(await again.json()).toMatchObject({ mode: 'subscription' });
    const after = await h.db.user.findUniqueOrThrow({ where: { lineUserId } });
    expect(after.stripeCustomerId).toBe(user.stripeCustomerId);
  });

  it('the chat buy command gets a checkout link for a user (CheckoutLinks)', async () => {
    const user = await h.newUser();
    const links = createCheckoutLinks({
      config: h.config,
      db: h.db,
      stripe: h.stripe,
      logger: createLogger('silent'),
    });
    const create = jest.spyOn(h.stripe.checkout.sessions, 'create');
    const url = await links.linkFor(user.id, 'tickets_5');
    expect(url).toMatch(/^https:\/\/checkout\.stripe\.com\//);
    const params = create.mock.calls[0]?.[0];
    expect(params).toMatchObject({
      mode: 'payment',
      client_reference_id: user.id,
      metadata: { userId: user.id, productId: 'tickets_5', lineUserId: user.lineUserId },
      payment_intent_data: { metadata: { userId: user.id, productId: 'tickets_5' } },
      line_items: [{ price_data: { currency: 'jpy', unit_amount: 1200 } }],
    });
    const row = await h.db.user.findUniqueOrThrow({ where: { id: user.id } });
    expect(params?.customer).toBe(row.stripeCustomerId);
    // A second pick of the same product within the hour asks Stripe for the same session
    // (same idempotency key and parameters; stripe-mock does not replay, Stripe does).
    await links.linkFor(user.id, 'tickets_5');
    const [first, second] = create.mock.calls;
    expect(second?.[1]).toEqual(first?.[1]);
    expect((first?.[1] as { idempotencyKey?: string }).idempotencyKey).toContain(
      `${user.id}-tickets_5-`,
    );
    expect(second?.[0]).toEqual(first?.[0]);
    create.mockRestore();
    await expect(links.linkFor(user.id, 'no_such_product')).rejects.toThrow('unknown product');
  });

  it.each([
    ['no token', undefined, 'missing credentials'],
    ['a token signed with another secret', 'other-secret', 'signature'],
    ['an expired token', 'expired', 'expired'],
    ['a token for another channel', 'aud', 'another channel'],
  ])('refuses %s with 401 and says why', async (_label, variant, message) => {
    const lineUserId = makeLineUserId();
    const token =
      variant === undefined
        ? undefined
        : variant === 'other-secret'
          ? idToken(lineUserId, {}, 'a-different-secret-1234')
          : variant === 'expired'
            ? idToken(lineUserId, { exp: Math.floor(Date.now() / 1000) - 5 })
            : idToken(lineUserId, { aud: 'another-channel' });
    const res = await post({ productId: 'points_500' }, token);
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: string; error_code: string };
    expect(body.error_code).toBe('UNAUTHENTICATED');
    expect(body.error).toContain(message);
    expect(await h.db.user.count({ where: { lineUserId } })).toBe(0);
  });

  it('refuses an unknown product or a malformed body with 400', async () => {
    const token = idToken(makeLineUserId());
    const unknown = await post({ productId: 'gold_bars' }, token);
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ error_code: 'INVALID_INPUT' });
    expect((await post({}, token)).status).toBe(400);
    expect((await post('{not json', token)).status).toBe(400);
  });

  it('serves the pages Stripe returns the browser to', async () => {
    const done = await fetch(`${h.apiUrl}/checkout/complete`);
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('お支払いありがとうございます');
    expect((await fetch(`${h.apiUrl}/checkout/cancelled`)).status).toBe(200);
  });
});
