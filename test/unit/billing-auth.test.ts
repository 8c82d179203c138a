import { createHmac } from 'node:crypto';
import { IdTokenError, LINE_LOGIN_ISSUER, verifyLineIdToken } from '../../api/auth';

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
const valid = {
  iss: LINE_LOGIN_ISSUER,
  sub: 'U0123456789abcdef0123456789abcdef',
  aud: channelId,
  exp: nowSeconds + 3600,
  iat: nowSeconds - 10,
  name: 'テスト',
};
const verify = (token: string) =>
  verifyLineIdToken(token, { channelId, channelSecret: secret, now });

describe('LINE Login ID token verification', () => {
  it('accepts a valid token and names the LINE user', () => {
    expect(verify(idToken(valid)).sub).toBe(valid.sub);
  });

  it.each([
    ['another secret', idToken(valid, { secret: 'someone-elses-secret' }), 'signature'],
    ['alg none', idToken(valid, { alg: 'none' }), 'algorithm'],
    ['another issuer', idToken({ ...valid, iss: 'https://evil.example' }), 'issuer'],
    ['another channel', idToken({ ...valid, aud: '999' }), 'another channel'],
    ['expired', idToken({ ...valid, exp: nowSeconds - 1 }), 'expired'],
    ['no exp', idToken({ ...valid, exp: undefined }), 'expired'],
    ['no subject', idToken({ ...valid, sub: '' }), 'no user'],
    ['not a JWT', 'abc.def', 'not a JWT'],
    ['garbage header', 'e30x.e30.e30', 'header'],
  ])('refuses %s', (_label, token, reason) => {
    expect(() => verify(token)).toThrow(IdTokenError);
    expect(() => verify(token)).toThrow(reason);
  });

  it('refuses a tampered payload', () => {
    const [h, , s] = idToken(valid).split('.');
    const forged = `${h}.${b64({ ...valid, sub: 'Uattacker' })}.${s}`;
    expect(() => verify(forged)).toThrow('signature');
  });
});
