import express, { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { payloadFromJson, payloadToJson } from '../../lib/payload-json';
import { payloadCodec } from '../../lib/temporal';
import { secretEquals } from '../admin-auth';
import type { ApiDeps } from '../deps';
import { HttpError } from '../errors';

/**
 * Temporal's remote codec protocol for operators: the Web UI (and `temporal workflow show
 * --codec-endpoint`) POSTs `{ payloads: [{ metadata: {k: base64}, data: base64 }] }` to
 * `<endpoint>/decode` or `/encode`. Decoding shows sealed payloads in clear, so it needs an
 * operator credential:
 *   - `Authorization: Bearer <CODEC_TOKEN or ADMIN_TOKEN>` on /codec/decode, /codec/encode;
 *   - the codec token in the path, /codec/<CODEC_TOKEN>/decode, for a Web UI that cannot send
 *     a header (no OIDC): the endpoint URL configured in the UI then carries it.
 * CORS admits the Web UI's origin (TEMPORAL_UI_URL) only: the browser calls this directly.
 */

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');
const BodySchema = z.object({
  payloads: z.array(
    z.object({
      metadata: z.record(z.string(), base64).nullish(),
      data: base64.nullish(),
    }),
  ),
});

function corsFor(uiUrl: string): RequestHandler {
  const allowed = new URL(uiUrl).origin;
  return (req, res, next) => {
    res.vary('Origin');
    if (req.get('origin') === allowed) {
      res.set({
        'Access-Control-Allow-Origin': allowed,
        'Access-Control-Allow-Credentials': 'true',
        'Access-Control-Allow-Methods': 'POST, OPTIONS',
        'Access-Control-Allow-Headers': 'Content-Type, X-Namespace, Authorization',
        'Access-Control-Max-Age': '600',
      });
    }
    if (req.method === 'OPTIONS') {
      res.status(204).end();
      return;
    }
    next();
  };
}

function unauthenticated(res: express.Response): never {
  res.set('WWW-Authenticate', 'Bearer realm="codec"');
  throw new HttpError(401, 'UNAUTHENTICATED', 'the codec endpoint needs an operator token');
}

export function codecRouter(deps: Pick<ApiDeps, 'config'>): Router {
  const { env } = deps.config;
  const codec = payloadCodec(env);
  const router = Router();
  const json = express.json({ limit: '8mb' });

  const bearer: RequestHandler = (req, res, next) => {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '')?.[1];
    const ok =
      !!token &&
      (secretEquals(token, env.ADMIN_TOKEN) ||
        (!!env.CODEC_TOKEN && secretEquals(token, env.CODEC_TOKEN)));
    if (!ok) unauthenticated(res);
    next();
  };
  // The admin token never goes in a URL (logs, browser history): the path takes CODEC_TOKEN only.
  const pathToken: RequestHandler = (req, res, next) => {
    const token = String(req.params.token ?? '');
    if (!env.CODEC_TOKEN || !secretEquals(token, env.CODEC_TOKEN)) unauthenticated(res);
    next();
  };

  const handle =
    (op: 'decode' | 'encode'): RequestHandler =>
    async (req, res) => {
      const parsed = BodySchema.safeParse(req.body);
      if (!parsed.success) {
        throw new HttpError(400, 'INVALID_INPUT', 'expected { payloads: [{ metadata, data }] }');
      }
      const payloads = parsed.data.payloads.map(payloadFromJson);
      const out =
        op === 'decode' ? await codec.decodeForDisplay(payloads) : await codec.encode(payloads);
      res.json({ payloads: out.map(payloadToJson) });
    };

  const cors = corsFor(env.TEMPORAL_UI_URL);
  router.use('/codec', cors);
  for (const op of ['decode', 'encode'] as const) {
    router.post(`/codec/${op}`, bearer, json, handle(op));
    router.post(`/codec/:token/${op}`, pathToken, json, handle(op));
  }
  return router;
}
