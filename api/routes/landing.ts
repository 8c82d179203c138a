import { Router } from 'express';
import type { Env } from '../../config/env';

export interface LandingOptions {
  /** The LINE simulator at /dev is mounted (local runs only). */
  simulator: boolean;
  /** /metrics is served on this port (not in production: api/routes/health.ts). */
  metrics: boolean;
}

interface Link {
  href: string;
  label: string;
  note: string;
}

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * GET /: a small start page for people (npm run dev prints its URL first). In production this
 * port faces LINE and the internet, so the page names no operator address there: only health.
 */
export function landingRouter(
  env: Pick<Env, 'NODE_ENV' | 'TEMPORAL_UI_URL'>,
  options: LandingOptions,
): Router {
  const links: Link[] = [];
  if (options.simulator) {
    links.push({ href: '/dev', label: 'LINE simulator', note: 'chat with the bot as a LINE user' });
  }
  if (env.NODE_ENV !== 'production') {
    links.push(
      { href: env.TEMPORAL_UI_URL, label: 'Temporal Web UI', note: 'workflows, their history' },
      { href: '/admin/usage', label: 'Admin console', note: 'usage and cost (ADMIN_TOKEN)' },
    );
  }
  if (options.metrics) {
    links.push({ href: '/metrics', label: 'Metrics', note: 'Prometheus text format' });
  }
  links.push({ href: '/healthz', label: 'Health', note: 'PostgreSQL, Temporal and S3 checks' });
  const items = links
    .map(
      (l) =>
        `<li><a href="${escape(l.href)}">${escape(l.label)}</a> <span>${escape(l.note)}</span></li>`,
    )
    .join('\n      ');
  const html = `<!doctype html>
<html lang="ja">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>LINE AI chat and stickers</title>
    <style>
      body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 40rem; padding: 0 1rem; }
      li { margin: 0.5rem 0; } span { color: #666; } a { color: #06c755; font-weight: 600; }
    </style>
  </head>
  <body>
    <h1>LINE AI chat and stickers</h1>
    <p>The API is running${env.NODE_ENV === 'production' ? '' : ` (${escape(env.NODE_ENV)})`}.</p>
    <ul>
      ${items}
    </ul>
  </body>
</html>
`;
  const router = Router();
  router.get('/', (_req, res) => {
    res.type('html').send(html);
  });
  return router;
}
