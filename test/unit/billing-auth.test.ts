import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { IdTokenError, LINE_LOGIN_ISSUER, verifyLineIdToken } from '../../api/auth';
import type { LineLoginKeys } from '../../api/line-login-keys';

const secret = 'login-channel-secret-0123';
const channelId = '1650000000';
const now = new Date('2026-11-10T00:00:00Z');
const nowSeconds = now.getTime() / 1000;

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
function idToken(claims: Record<string, unknown>, opts: { secret?: string; alg?: string } = {}) {
  const head = b64({ typ: 'JWT', alg: opts.alg ?? 'HS256' });
  const body = b64(claims);
  const sig = createHmac('sha256', opts.secret ?? secret)
    .update(`${head}.${body}`)
    .digest('base64url');
  return `${head}.${body}.${sig}`;
}

// ES256 (LIFF, native SDKs): LINE's published key, and a key LINE never published.
const lineKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const otherKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const keys: LineLoginKeys = {
  key: async (kid) => (kid === 'line-key' ? lineKey.publicKey : null),
};
function es256Token(
  claims: Record<string, unknown>,
  opts: { kid?: string; privateKey?: KeyObject } = {},
) {
  const head = b64({ typ: 'JWT', alg: 'ES256', kid: opts.kid ?? 'line-key' });
  const body = b64(claims);
  const sig = sign('sha256', Buffer.from(`${head}.${body}`), {
    key: opts.privateKey ?? lineKey.privateKey,
    dsaEncoding: 'ieee-p1363',
  });
  return `${head}.${body}.${sig.toString('base64url')}`;
}

const valid = {
  iss: LINE_LOGIN_ISSUER,
  sub: 'U0123456789abcdef0123456789abcdef',
  aud: channelId,
  exp: nowSeconds + 3600,
  iat: nowSeconds - 10,
  name: 'テスト',
};
const verify = (token: string) =>
  verifyLineIdToken(token, { channelId, channelSecret: secret, keys, now });

describe('LINE Login ID token verification', () => {
  it('accepts a valid web-login (HS256) token and names the LINE user', async () => {
    expect((await verify(idToken(valid))).sub).toBe(valid.sub);
  });

  it('accepts a valid LIFF (ES256) token signed with a key LINE publishes', async () => {
    expect((await verify(es256Token(valid))).sub).toBe(valid.sub);
  });

  it.each([
    ['another secret', idToken(valid, { secret: 'someone-elses-secret' }), 'signature'],
    ['alg none', idToken(valid, { alg: 'none' }), 'algorithm'],
    ['another issuer', idToken({ ...valid, iss: 'https://evil.example' }), 'issuer'],
    ['another channel', idToken({ ...valid, aud: '999' }), 'another channel'],
    ['expired', idToken({ ...valid, exp: nowSeconds - 1 }), 'expired'],
    ['no exp', idToken({ ...valid, exp: undefined }), 'expired'],
    ['no subject', idToken({ ...valid, sub: '' }), 'no user'],
    ['no iat', idToken({ ...valid, iat: undefined }), 'issue time'],
    ['iat in the future', idToken({ ...valid, iat: nowSeconds + 600 }), 'future'],
    ['issued 2 hours ago', idToken({ ...valid, iat: nowSeconds - 7200 }), 'too old'],
    ['valid for 100 years', idToken({ ...valid, exp: nowSeconds + 100 * 365 * 86400 }), 'too old'],
    ['not a JWT', 'abc.def', 'not a JWT'],
    ['garbage header', 'e30x.e30.e30', 'header'],
    ['ES256 with an unpublished key', es256Token(valid, { kid: 'nope' }), 'does not publish'],
    [
      'ES256 signed by another key under LINE’s key ID',
      es256Token(valid, { privateKey: otherKey.privateKey }),
      'signature',
    ],
    ['ES256 from another channel', es256Token({ ...valid, aud: '999' }), 'another channel'],
    ['ES256 expired', es256Token({ ...valid, exp: nowSeconds - 1 }), 'expired'],
  ])('refuses %s', async (_label, token, reason) => {
    await expect(verify(token)).rejects.toThrow(IdTokenError);
    await expect(verify(token)).rejects.toThrow(reason);
  });

  it('refuses a tampered payload', async () => {
    const [h, , s] = idToken(valid).split('.');
    const forged = `${h}.${b64({ ...valid, sub: 'Uattacker' })}.${s}`;
    await expect(verify(forged)).rejects.toThrow('signature');
    const [eh, , es] = es256Token(valid).split('.');
    await expect(verify(`${eh}.${b64({ ...valid, sub: 'Uattacker' })}.${es}`)).rejects.toThrow(
      'signature',
    );
  });

  it('refuses ES256 when no LINE keys are configured', async () => {
    await expect(
      verifyLineIdToken(es256Token(valid), { channelId, channelSecret: secret, now }),
    ).rejects.toThrow('algorithm');
  });
});
