import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { lineLoginKeys, LineLoginKeysUnavailable } from '../../api/line-login-keys';

/** LINE Login's key cache against a local JWKS server: fetch once, refresh on rotation. */

const jwk = (kid: string) => ({
  ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }),
  kid,
  alg: 'ES256',
});

let published: unknown[] = [];
let requests = 0;
let status = 200;
let server: http.Server;
let url: string;

beforeAll(async () => {
  server = http.createServer((_req, res) => {
    requests++;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: published }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth2/v2.1/certs`;
});
afterAll(() => new Promise((r) => server.close(r)));
beforeEach(() => {
  requests = 0;
  status = 200;
});

it('fetches the keys once and serves them from the cache', async () => {
  published = [jwk('a'), jwk('b')];
  const keys = lineLoginKeys(url);
  expect(await keys.key('a')).not.toBeNull();
  expect(await keys.key('b')).not.toBeNull();
  expect(requests).toBe(1);
});

it('fetches again for an unknown key ID (rotation), but not more than once a minute', async () => {
  let clock = 0;
  published = [jwk('old')];
  const keys = lineLoginKeys(url, { now: () => clock });
  expect(await keys.key('old')).not.toBeNull();
  published = [jwk('old'), jwk('new')];
  clock += 1000;
  expect(await keys.key('new')).toBeNull(); // too soon to ask LINE again
  clock += 60_000;
  expect(await keys.key('new')).not.toBeNull();
  expect(requests).toBe(2);
});

it('says LINE Login keys are unavailable when LINE does not answer', async () => {
  status = 500;
  await expect(lineLoginKeys(url).key('a')).rejects.toThrow(LineLoginKeysUnavailable);
});
