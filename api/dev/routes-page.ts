import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Router } from 'express';
import type { Simulator } from './simulator';

/** The page, its Japanese font, and what the page needs to know before it starts. */

const VIEW_FILE = path.join(__dirname, 'simulator.html');
const VOICE_SCRIPT = path.join(__dirname, 'simulator-voice.js');

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

  router.get('/dev/assets/simulator-voice.js', async (_req, res) => {
    const script = await readFile(VOICE_SCRIPT, 'utf8');
    res.set('cache-control', 'no-store').type('application/javascript').send(script);
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
