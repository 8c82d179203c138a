import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Router } from 'express';
import type { Simulator } from './simulator';

/** The page, its Japanese font, and what the page needs to know before it starts. */

const VIEW_FILE = path.join(__dirname, 'simulator.html');
/** The page's scripts and styles, served by name from this folder (nothing else is). */
const ASSETS: Record<string, string> = {
  'simulator.css': 'text/css',
  'simulator-parts.css': 'text/css',
  'simulator-timeline.js': 'application/javascript',
  'simulator.js': 'application/javascript',
  'simulator-voice.js': 'application/javascript',
  'simulator-groups.js': 'application/javascript',
  'simulator-stickers.js': 'application/javascript',
};

export function pageRoutes(sim: Simulator): Router {
  const router = Router();
  const { env } = sim;

  router.get('/dev', async (_req, res) => {
    const html = await readFile(VIEW_FILE, 'utf8');
    res.set('cache-control', 'no-store').type('html').send(html);
  });

  // No system CJK font needed: the page loads Noto Sans JP from the installed package.
  router.get('/dev/assets/noto-sans-jp.ttf', (_req, res) => {
    const pkg = require.resolve('@expo-google-fonts/noto-sans-jp/package.json');
    res.sendFile(path.join(path.dirname(pkg), '400Regular', 'NotoSansJP_400Regular.ttf'), {
      maxAge: '7d',
      headers: { 'content-type': 'font/ttf' },
    });
  });

  router.get('/dev/assets/:name', async (req, res, next) => {
    const type = Object.hasOwn(ASSETS, req.params.name) ? ASSETS[req.params.name] : undefined;
    if (!type) return next();
    const text = await readFile(path.join(__dirname, req.params.name), 'utf8');
    res.set('cache-control', 'no-store').type(type).send(text);
  });

  router.get('/dev/api/info', async (_req, res) => {
    res.json({
      standIn: await sim.line.standInStatus(),
      localStandIns: env.LOCAL_STAND_INS,
      nodeEnv: env.NODE_ENV,
      temporal: { uiUrl: sim.ui.base, namespace: env.TEMPORAL_NAMESPACE },
      products: sim.products,
      stripeTestMode: env.STRIPE_SECRET_KEY.startsWith('sk_test_'),
    });
  });

  return router;
}
