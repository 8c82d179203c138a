import express, { Router } from 'express';
import { findOrCreateUser } from '../../services/users';
import { lineLoginAuth } from '../auth';
import type { ApiDeps } from '../deps';
import { HttpError } from '../errors';

/**
 * `POST /api/checkout {productId}` for a LINE Login user: a Stripe Checkout session bound to
 * the user (creating their Stripe customer on the first purchase), answered with its URL. The
 * grant happens later, from the webhook. Also the two pages Stripe returns the browser to.
 */
export function checkoutRouter(deps: ApiDeps): Router {
  const router = Router();
  const { env, catalog } = deps.config;
  const { checkout } = deps;

  router.post(
    '/api/checkout',
    lineLoginAuth(env),
    express.json({ limit: '16kb' }),
    async (req, res) => {
      const body: unknown = req.body;
      const productId =
        typeof body === 'object' && body !== null
          ? (body as { productId?: unknown }).productId
          : undefined;
      if (typeof productId !== 'string' || productId === '')
        throw new HttpError(
          400,
          'INVALID_INPUT',
          'body must be JSON: { "productId": "<product ID>" }',
        );
      if (!Object.prototype.hasOwnProperty.call(catalog.products, productId))
        throw new HttpError(400, 'INVALID_INPUT', `unknown product "${productId}"`, {
          products: Object.keys(catalog.products),
        });
      const user = await findOrCreateUser(deps.db, req.lineUserId!);
      const session = await checkout.createSession(user.id, productId);
      res.status(201).json(session);
    },
  );

  const page = (title: string, text: string) =>
    `<!doctype html><html lang="ja"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title>` +
    `</head><body><h1>${title}</h1><p>${text}</p></body></html>`;
  router.get('/checkout/complete', (_req, res) => {
    res
      .type('html')
      .send(
        page(
          'お支払いありがとうございます',
          'LINEに戻ってください。購入内容はLINEでお知らせします。',
        ),
      );
  });
  router.get('/checkout/cancelled', (_req, res) => {
    res
      .type('html')
      .send(page('お支払いは完了していません', 'LINEに戻って、もう一度お試しください。'));
  });
  return router;
}
