import express from 'express';
import request from 'supertest';
import { defaultPayloadConverter } from '@temporalio/common';
import { codecRouter } from '../../api/routes/codec';
import { errorHandler } from '../../api/errors';
import type { AppConfig } from '../../config';
import { loadEnv } from '../../config/env';
import { newPayloadKeyEntry } from '../../config/payload-keys';
import { createLogger } from '../../lib/logger';
import { payloadCodec } from '../../lib/temporal';
import { randomBytes } from 'node:crypto';
import { TEST_SECRETS } from '../support/config-secrets';

const env = loadEnv({
  ...TEST_SECRETS,
  CODEC_TOKEN: 'codec-token-0123456789',
  PAYLOAD_KEYS: newPayloadKeyEntry('k1', randomBytes),
  TEMPORAL_UI_URL: 'http://127.0.0.1:8233',
});
const app = express();
app.use(codecRouter({ config: { env } as AppConfig }));
app.use(errorHandler(createLogger('silent')));

const asJson = (p: { metadata?: Record<string, Uint8Array> | null; data?: Uint8Array | null }) => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
  ),
  data: Buffer.from(p.data ?? []).toString('base64'),
});

async function sealedBody() {
  const [sealed] = await payloadCodec(env).encode([
    defaultPayloadConverter.toPayload({ text: 'ないしょ' }),
  ]);
  return { payloads: [asJson(sealed!)] };
}

const decodedText = (body: { payloads: Array<{ data: string }> }) =>
  JSON.parse(Buffer.from(body.payloads[0]!.data, 'base64').toString()) as unknown;

describe('codec endpoint for the Temporal Web UI', () => {
  it('refuses without a token, or with a wrong one', async () => {
    const body = await sealedBody();
    const none = await request(app).post('/codec/decode').send(body);
    expect(none.status).toBe(401);
    expect(JSON.stringify(none.body)).not.toContain('ないしょ');
    const wrong = await request(app)
      .post('/codec/decode')
      .set('Authorization', 'Bearer not-the-token-at-all')
      .send(body);
    expect(wrong.status).toBe(401);
    expect((await request(app).post('/codec/wrong-token-0123456/decode').send(body)).status).toBe(
      401,
    );
  });

  it('decodes with the codec token or the admin token', async () => {
    const body = await sealedBody();
    for (const token of [env.CODEC_TOKEN!, env.ADMIN_TOKEN]) {
      const res = await request(app)
        .post('/codec/decode')
        .set('Authorization', `Bearer ${token}`)
        .set('X-Namespace', 'default')
        .send(body);
      expect(res.status).toBe(200);
      expect(decodedText(res.body)).toEqual({ text: 'ないしょ' });
    }
  });

  it('takes the codec token in the path (a Web UI without OIDC), never the admin token', async () => {
    const body = await sealedBody();
    const ok = await request(app).post(`/codec/${env.CODEC_TOKEN}/decode`).send(body);
    expect(ok.status).toBe(200);
    expect(decodedText(ok.body)).toEqual({ text: 'ないしょ' });
    expect((await request(app).post(`/codec/${env.ADMIN_TOKEN}/decode`).send(body)).status).toBe(
      401,
    );
  });

  it('encodes (seals) for the UI, and what it seals decodes', async () => {
    const plain = { payloads: [asJson(defaultPayloadConverter.toPayload('signal input'))] };
    const res = await request(app)
      .post('/codec/encode')
      .set('Authorization', `Bearer ${env.CODEC_TOKEN}`)
      .send(plain);
    expect(res.status).toBe(200);
    expect(Buffer.from(res.body.payloads[0].metadata.encoding, 'base64').toString()).toBe(
      'binary/encrypted',
    );
    const back = await request(app)
      .post('/codec/decode')
      .set('Authorization', `Bearer ${env.CODEC_TOKEN}`)
      .send(res.body);
    expect(decodedText(back.body)).toBe('signal input');
  });

  it("answers the Web UI's CORS preflight for its origin only", async () => {
    const ui = await request(app)
      .options('/codec/decode')
      .set('Origin', 'http://127.0.0.1:8233')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'content-type,x-namespace,authorization');
    expect(ui.status).toBe(204);
    expect(ui.headers['access-control-allow-origin']).toBe('http://127.0.0.1:8233');
    expect(ui.headers['access-control-allow-headers']).toMatch(/Authorization/);
    const other = await request(app)
      .options('/codec/decode')
      .set('Origin', 'https://evil.example')
      .set('Access-Control-Request-Method', 'POST');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});
