import { randomBytes } from 'node:crypto';
import type Stripe from 'stripe';
import type { Catalog, Env } from '../../config';
import { temporalUiLinks, type TemporalUiLinks } from '../../lib/temporal-ui';
import { connectLinePlatform, type LinePlatformRemote } from '../../stand-ins';
import type { ApiDeps } from '../deps';
import { createSentLog, type SentLog } from './sent-log';
import { simulatedLine, type SimulatedLine } from './webhook-client';

/** A points or ticket pack: what the simulator can buy (subscriptions are not simulated). */
export interface OneTimeProduct {
  id: string;
  kind: 'points' | 'tickets';
  name: string;
  priceYen: number;
  points?: number;
  tickets?: number;
}

/** What every group of simulator routes shares; built once per router. */
export interface Simulator {
  deps: ApiDeps;
  env: Env;
  catalog: Catalog;
  stripe: Stripe;
  standIn: LinePlatformRemote;
  line: SimulatedLine;
  log: SentLog;
  ui: TemporalUiLinks;
  products: OneTimeProduct[];
}

function oneTimeProducts(catalog: Catalog): OneTimeProduct[] {
  return Object.entries(catalog.products).flatMap(([id, p]) =>
    p.kind === 'points' || p.kind === 'tickets'
      ? [
          {
            id,
            kind: p.kind,
            name: p.name,
            priceYen: p.priceYen,
            ...(p.kind === 'points' ? { points: p.points } : { tickets: p.tickets }),
          },
        ]
      : [],
  );
}

export function createSimulator(deps: ApiDeps, stripe: Stripe): Simulator {
  const { env, catalog } = deps.config;
  const standIn = connectLinePlatform(env.LINE_API_BASE_URL);
  return {
    deps,
    env,
    catalog,
    stripe,
    standIn,
    line: simulatedLine(standIn, env.LINE_CHANNEL_SECRET),
    log: createSentLog(() => randomBytes(8).toString('hex')),
    ui: temporalUiLinks(env.TEMPORAL_UI_URL, env.TEMPORAL_NAMESPACE),
    products: oneTimeProducts(catalog),
  };
}
