import { createHmac, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import express, { Router, type Request } from 'express';
import multer from 'multer';
import Stripe from 'stripe';
import { LINE_LOGIN_ISSUER, signWebLoginIdToken } from '../auth';
import type { Env } from '../../config/env';
import { createLedger } from '../../ledger';
import { createStripe } from '../../lib/stripe';
import { connectLinePlatform, makeLineUserId, type LineRecord } from '../../stand-ins';
import { sessionWorkflowId } from '../../workflows/line-user-session';
import type { ApiDeps } from '../deps';
import { HttpError } from '../errors';

/**
 * The local LINE simulator at `/dev`: a LINE-like chat page for trying the whole system by
 * hand (and for the browser test). Mounted only for local runs (see devSimulatorEnabled).
 *
 * The page never sees a secret. Its JSON endpoints (`/dev/api/...`) act as LINE and Stripe
 * would: they sign REAL webhook events with the channel secret / webhook secret and post them
 * to this same app's `/webhooks/line` and `/webhooks/stripe`, with reply tokens issued by the
 * LINE stand-in, and read back what the bot sent from the stand-in's inspection API.
 *
 * - GET  /dev                                  the page
 * - GET  /dev/assets/noto-sans-jp.ttf          Japanese font (no system CJK font needed)
 * - GET  /dev/api/info                         stand-in reachability, products, Temporal UI
 * - GET  /dev/api/users                        recent users (database + created here)
 * - POST /dev/api/users {displayName?}         a new LINE-format user ID (makeLineUserId)
 * - POST /dev/api/users/:id/follow             follow event
 * - POST /dev/api/users/:id/text {text}        text message event
 * - POST /dev/api/users/:id/photo              multipart `image` (+ optional `texts`): the
 *        bytes become LINE content at the stand-in, an image event is sent, then (after the
 *        bot's answer to the photo) the texts as one text message, one sticker text per line
 * - POST /dev/api/users/:id/buy {productId}    checkout session through POST /api/checkout
 *        (LINE Login ID token minted here), then a signed `checkout.session.completed`
 * - GET  /dev/api/users/:id/timeline           what was sent and what the bot replied/pushed,
 *        balance, usage, tickets, and the user's workflows with Temporal Web UI links
 * - GET  /dev/api/users/:id/photos/:messageId  a photo the user sent (from the stand-in)
 */

/** The simulator exists only locally: stand-ins in use, or NODE_ENV development/test. */
export function devSimulatorEnabled(env: Pick<Env, 'LOCAL_STAND_INS' | 'NODE_ENV'>): boolean {
  return env.LOCAL_STAND_INS || env.NODE_ENV === 'development' || env.NODE_ENV === 'test';
}

const LINE_USER_ID = /^U[0-9a-f]{32}$/;
const MAX_TEXT = 5000;
const MAX_PHOTO_BYTES = 20 * 1024 * 1024;
const SENT_LOG_LIMIT = 300;
const TIMELINE_LIMIT = 300;
/** How long the photo endpoint waits for the bot's answer to the photo before sending texts. */
const PHOTO_PROMPT_WAIT_MS = 30_000;
/** Stand-in for the bot's own user ID (`destination` of LINE webhooks). */
const BOT_USER_ID = makeLineUserId('line-ai-stamp-simulator-bot');
const VIEW_FILE = path.join(__dirname, '..', 'views', 'simulator.html');

type SentKind = 'follow' | 'text' | 'photo' | 'buy';

interface SentEntry {
  id: string;
  kind: SentKind;
  at: string;
  text?: string;
  photoMessageId?: string;
  webhookEventId?: string;
  productId?: string;
  productName?: string;
  sessionId?: string;
  stripeEventId?: string;
  /** Workflow IDs known for certain when the entry was made (the grant workflow of a buy). */
  workflowIds?: string[];
  /** What the webhook answered (HTTP status). */
  status: number;
}

interface KnownUser {
  lineUserId: string;
  displayName?: string;
  createdAt: string;
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A ULID, as LINE's `webhookEventId`: 48-bit time + 80 random bits, Crockford base32. */
export function ulid(now = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const random = Array.from(randomBytes(16), (b) => CROCKFORD[b % 32]).join('');
  return time + random;
}

let messageCounter = 0;
/** A LINE-like numeric message ID (LINE's are 18-digit decimal strings). */
function lineMessageId(): string {
  messageCounter = (messageCounter + 1) % 100_000;
  return `${Date.now()}${String(messageCounter).padStart(5, '0')}`;
}

function stripeLikeId(prefix: string): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  return `${prefix}_${Array.from(randomBytes(24), (b) => alphabet[b % 62]).join('')}`;
}

/** This server, as seen from itself: the address and port the request arrived on. */
function selfUrl(req: Request): string {
  let host = req.socket.localAddress ?? '127.0.0.1';
  if (host.startsWith('::ffff:')) host = host.slice(7);
  if (host === '::' || host === '0.0.0.0') host = '127.0.0.1';
  const port = req.socket.localPort;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function param(req: Request, name: string): string {
  const value = (req.params as Record<string, string | undefined>)[name];
  return typeof value === 'string' ? value : '';
}

function lineUserIdOf(req: Request): string {
  const id = param(req, 'lineUserId');
  if (!LINE_USER_ID.test(id))
    throw new HttpError(400, 'INVALID_INPUT', 'a LINE user ID is "U" followed by 32 hex digits');
  return id;
}

function bodyOf(req: Request): Record<string, unknown> {
  const body: unknown = req.body;
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
}

export function devSimulatorRouter(
  deps: ApiDeps,
  stripe: Stripe = createStripe(deps.config.env),
): Router {
  const router = Router();
  const { env, catalog } = deps.config;
  const standIn = connectLinePlatform(env.LINE_API_BASE_URL);
  const ledger = createLedger({ db: deps.db, catalog, timeZone: env.TIME_ZONE });
  const sent = new Map<string, SentEntry[]>();
  const created = new Map<string, KnownUser>();
  const upload = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: MAX_PHOTO_BYTES, files: 1, fields: 4 },
  }).single('image');

  const uiBase = env.TEMPORAL_UI_URL.replace(/\/+$/, '');
  const namespace = encodeURIComponent(env.TEMPORAL_NAMESPACE);
  const uiQuery = (query: string) =>
    `${uiBase}/namespaces/${namespace}/workflows?query=${encodeURIComponent(query)}`;
  const uiWorkflow = (workflowId: string, runId: string) =>
    `${uiBase}/namespaces/${namespace}/workflows/${encodeURIComponent(workflowId)}/${encodeURIComponent(runId)}/history`;

  const oneTimeProducts = Object.entries(catalog.products).flatMap(([id, p]) =>
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

  async function standInStatus(): Promise<{ ok: boolean; url: string; error?: string }> {
    try {
      const res = await fetch(`${standIn.url}/__stand-in/health`, {
        signal: AbortSignal.timeout(2000),
      });
      const body = (await res.json().catch(() => null)) as { service?: string } | null;
      if (res.ok && body?.service === 'line-platform') return { ok: true, url: standIn.url };
      return { ok: false, url: standIn.url, error: `answered ${res.status}, not the stand-in` };
    } catch (err) {
      return { ok: false, url: standIn.url, error: (err as Error).message };
    }
  }

  async function requireStandIn(): Promise<void> {
    const status = await standInStatus();
    if (!status.ok)
      throw new HttpError(
        503,
        'STAND_IN_UNAVAILABLE',
        `the simulator needs the local LINE stand-in, but LINE_API_BASE_URL (${status.url}) ` +
          `is not one (${status.error ?? 'unknown'}); run \`npm run dev\` without LINE ` +
          `credentials so that LOCAL_STAND_INS=true`,
      );
  }

  /** Keeps what the simulator sent; `at` is taken before posting, so it sorts before replies. */
  function remember(
    lineUserId: string,
    at: string,
    entry: Omit<SentEntry, 'id' | 'at'>,
  ): SentEntry {
    const full: SentEntry = { id: randomBytes(8).toString('hex'), at, ...entry };
    const list = sent.get(lineUserId) ?? [];
    list.push(full);
    while (list.length > SENT_LOG_LIMIT) list.shift();
    sent.set(lineUserId, list);
    if (!created.has(lineUserId)) created.set(lineUserId, { lineUserId, createdAt: full.at });
    return full;
  }

  /** Signs a LINE webhook body as LINE does and posts it to this app's /webhooks/line. */
  async function postLineEvent(
    req: Request,
    event: Record<string, unknown>,
  ): Promise<{ status: number; body: unknown }> {
    const body = JSON.stringify({ destination: BOT_USER_ID, events: [event] });
    const signature = createHmac('sha256', env.LINE_CHANNEL_SECRET).update(body).digest('base64');
    const res = await fetch(`${selfUrl(req)}/webhooks/line`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'user-agent': 'LineBotWebhook/2.0',
        'x-line-signature': signature,
      },
      body,
    });
    const answer: unknown = await res.json().catch(() => null);
    if (!res.ok)
      throw new HttpError(502, 'WEBHOOK_REFUSED', `/webhooks/line answered ${res.status}`, {
        webhook: answer,
      });
    return { status: res.status, body: answer };
  }

  async function eventBase(lineUserId: string, withReplyToken: boolean) {
    const webhookEventId = ulid();
    return {
      at: new Date().toISOString(),
      webhookEventId,
      event: {
        mode: 'active',
        timestamp: Date.now(),
        source: { type: 'user', userId: lineUserId },
        webhookEventId,
        deliveryContext: { isRedelivery: false },
        ...(withReplyToken
          ? { replyToken: await standIn.issueReplyToken({ userId: lineUserId }) }
          : {}),
      },
    };
  }

  async function sendText(req: Request, lineUserId: string, text: string): Promise<SentEntry> {
    const { at, webhookEventId, event } = await eventBase(lineUserId, true);
    const { status } = await postLineEvent(req, {
      ...event,
      type: 'message',
      message: {
        type: 'text',
        id: lineMessageId(),
        quoteToken: randomBytes(24).toString('base64url'),
        text,
      },
    });
    return remember(lineUserId, at, { kind: 'text', text, webhookEventId, status });
  }

  /** The newest record the stand-in holds for the user (0 when none). */
  async function lastSeq(lineUserId: string): Promise<number> {
    const records = await standIn.received({ userId: lineUserId });
    return records.reduce((max, r) => Math.max(max, r.seq), 0);
  }

  /** Waits until the bot replied or pushed something to the user after `after`. */
  async function waitForBot(lineUserId: string, after: number, timeoutMs: number) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const records = await standIn.received({ userId: lineUserId, after });
      if (records.some((r) => r.kind !== 'loading')) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** A LINE Login ID token for the user (what LIFF would send to the user API). */
  function idToken(lineUserId: string): string {
    const now = Math.floor(Date.now() / 1000);
    return signWebLoginIdToken(
      {
        iss: LINE_LOGIN_ISSUER,
        sub: lineUserId,
        aud: env.LINE_LOGIN_CHANNEL_ID,
        exp: now + 300,
        iat: now,
      },
      env.LINE_LOGIN_CHANNEL_SECRET,
    );
  }

  interface WorkflowView {
    workflowId: string;
    runId: string;
    type: string;
    status: string;
    startTime: string | null;
    closeTime: string | null;
    url: string;
  }

  async function workflowsOf(lineUserId: string): Promise<{
    list: WorkflowView[];
    error?: string;
  }> {
    const list: WorkflowView[] = [];
    try {
      for await (const wf of deps.temporal.workflow.list({
        query: `LineUserId="${lineUserId}"`,
        pageSize: 50,
      })) {
        list.push({
          workflowId: wf.workflowId,
          runId: wf.runId,
          type: wf.type,
          status: wf.status.name,
          startTime: wf.startTime?.toISOString() ?? null,
          closeTime: wf.closeTime?.toISOString() ?? null,
          url: uiWorkflow(wf.workflowId, wf.runId),
        });
        if (list.length >= 50) break;
      }
      return { list };
    } catch (err) {
      return { list, error: (err as Error).message };
    }
  }

  async function accountOf(lineUserId: string) {
    const user = await deps.db.user.findUnique({ where: { lineUserId } });
    if (!user) return null;
    const tickets = await deps.db.lineStampTicket.count({
      where: { userId: user.id, deletedAt: null, consumption: null },
    });
    const base = {
      userId: user.id,
      planId: user.planId,
      planName: catalog.plans[user.planId]?.name ?? user.planId,
      deleted: user.deletedAt !== null,
      messageCount: user.messageCount,
      tickets,
    };
    try {
      const [balance, usage] = await Promise.all([
        ledger.getBalance(user.id),
        ledger.getUsage(user.id),
      ]);
      return { ...base, balance, usage };
    } catch (err) {
      return { ...base, balance: null, usage: null, error: (err as Error).message };
    }
  }

  function botEntries(records: LineRecord[]) {
    return records.map((r) => ({
      kind: r.kind,
      seq: r.seq,
      at: r.at.toISOString(),
      messages: (r.messages ?? []).map((m) => ({
        type: m.type,
        ...(typeof m.text === 'string' ? { text: m.text } : {}),
        ...(typeof m.originalContentUrl === 'string'
          ? { originalContentUrl: m.originalContentUrl }
          : {}),
        ...(typeof m.previewImageUrl === 'string' ? { previewImageUrl: m.previewImageUrl } : {}),
        ...(typeof m.altText === 'string' ? { altText: m.altText } : {}),
      })),
    }));
  }

  // --- the page and its font ------------------------------------------------------------

  router.get('/dev', async (_req, res) => {
    const html = await readFile(VIEW_FILE, 'utf8');
    res.set('cache-control', 'no-store').type('html').send(html);
  });

  router.get('/dev/assets/noto-sans-jp.ttf', (_req, res) => {
    const pkg = require.resolve('@expo-google-fonts/noto-sans-jp/package.json');
    res.sendFile(path.join(path.dirname(pkg), '400Regular', 'NotoSansJP_400Regular.ttf'), {
      maxAge: '7d',
      headers: { 'content-type': 'font/ttf' },
    });
  });

  // --- JSON API -------------------------------------------------------------------------

  router.get('/dev/api/info', async (_req, res) => {
    res.json({
      standIn: await standInStatus(),
      localStandIns: env.LOCAL_STAND_INS,
      nodeEnv: env.NODE_ENV,
      temporal: { uiUrl: uiBase, namespace: env.TEMPORAL_NAMESPACE },
      products: oneTimeProducts,
      stripeTestMode: env.STRIPE_SECRET_KEY.startsWith('sk_test_'),
    });
  });

  router.get('/dev/api/users', async (_req, res) => {
    const rows = await deps.db.user.findMany({
      orderBy: { createdAt: 'desc' },
      take: 30,
      select: { lineUserId: true, createdAt: true, deletedAt: true },
    });
    const users = new Map<string, KnownUser & { inDatabase: boolean; deleted: boolean }>();
    for (const u of created.values())
      users.set(u.lineUserId, { ...u, inDatabase: false, deleted: false });
    for (const r of rows) {
      const known = created.get(r.lineUserId);
      users.set(r.lineUserId, {
        lineUserId: r.lineUserId,
        ...(known?.displayName ? { displayName: known.displayName } : {}),
        createdAt: known?.createdAt ?? r.createdAt.toISOString(),
        inDatabase: true,
        deleted: r.deletedAt !== null,
      });
    }
    const list = [...users.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    res.json({ users: list });
  });

  router.post('/dev/api/users', express.json({ limit: '4kb' }), async (req, res) => {
    const body = bodyOf(req);
    const displayName =
      typeof body.displayName === 'string' && body.displayName.trim() !== ''
        ? body.displayName.trim().slice(0, 20)
        : undefined;
    const lineUserId = makeLineUserId();
    if (displayName) {
      await requireStandIn();
      await standIn.setProfile(lineUserId, { displayName });
    }
    const user: KnownUser = {
      lineUserId,
      ...(displayName ? { displayName } : {}),
      createdAt: new Date().toISOString(),
    };
    created.set(lineUserId, user);
    res.status(201).json(user);
  });

  router.post('/dev/api/users/:lineUserId/follow', async (req, res) => {
    const lineUserId = lineUserIdOf(req);
    await requireStandIn();
    const { at, webhookEventId, event } = await eventBase(lineUserId, true);
    const { status } = await postLineEvent(req, {
      ...event,
      type: 'follow',
      follow: { isUnblocked: false },
    });
    res.status(202).json(remember(lineUserId, at, { kind: 'follow', webhookEventId, status }));
  });

  router.post(
    '/dev/api/users/:lineUserId/text',
    express.json({ limit: '64kb' }),
    async (req, res) => {
      const lineUserId = lineUserIdOf(req);
      const text = bodyOf(req).text;
      if (typeof text !== 'string' || text.trim() === '' || text.length > MAX_TEXT)
        throw new HttpError(
          400,
          'INVALID_INPUT',
          `body must be JSON { "text": "<1..${MAX_TEXT} characters>" }`,
        );
      await requireStandIn();
      res.status(202).json(await sendText(req, lineUserId, text));
    },
  );

  router.post('/dev/api/users/:lineUserId/photo', async (req, res) => {
    const lineUserId = lineUserIdOf(req);
    await new Promise<void>((resolve, reject) =>
      upload(req, res, (err: unknown) => {
        if (!err) return resolve();
        if (err instanceof multer.MulterError)
          return reject(
            new HttpError(
              err.code === 'LIMIT_FILE_SIZE' ? 413 : 400,
              'INVALID_INPUT',
              `photo upload: ${err.message}`,
            ),
          );
        reject(err as Error);
      }),
    );
    const file = req.file;
    if (!file || file.size === 0)
      throw new HttpError(400, 'INVALID_INPUT', 'send multipart/form-data with an "image" file');
    const rawTexts = bodyOf(req).texts;
    const texts = typeof rawTexts === 'string' ? rawTexts.replace(/\r\n?/g, '\n').trim() : '';
    if (texts.length > MAX_TEXT)
      throw new HttpError(400, 'INVALID_INPUT', `texts: at most ${MAX_TEXT} characters`);
    await requireStandIn();

    // LINE keeps the bytes; the bot downloads them from the data API by message ID.
    const messageId = lineMessageId();
    await standIn.putContent(messageId, file.buffer, file.mimetype || 'application/octet-stream');
    const before = await lastSeq(lineUserId);
    const { at, webhookEventId, event } = await eventBase(lineUserId, true);
    const { status } = await postLineEvent(req, {
      ...event,
      type: 'message',
      message: { type: 'image', id: messageId, contentProvider: { type: 'line' } },
    });
    const photo = remember(lineUserId, at, {
      kind: 'photo',
      photoMessageId: messageId,
      webhookEventId,
      status,
    });
    if (!texts) {
      res.status(202).json({ photo });
      return;
    }
    // As a person would: read the bot's answer to the photo (it asks for the texts), then type.
    const prompted = await waitForBot(lineUserId, before, PHOTO_PROMPT_WAIT_MS);
    const text = await sendText(req, lineUserId, texts);
    res.status(202).json({ photo, text, prompted });
  });

  router.post(
    '/dev/api/users/:lineUserId/buy',
    express.json({ limit: '4kb' }),
    async (req, res) => {
      const lineUserId = lineUserIdOf(req);
      const productId = bodyOf(req).productId;
      const product = oneTimeProducts.find((p) => p.id === productId);
      if (!product)
        throw new HttpError(400, 'INVALID_INPUT', 'productId must be a points or ticket pack', {
          products: oneTimeProducts.map((p) => p.id),
        });
      if (!env.STRIPE_SECRET_KEY.startsWith('sk_test_'))
        throw new HttpError(
          403,
          'NOT_TEST_MODE',
          'the simulator completes checkouts only with a Stripe test key (sk_test_...)',
        );
      const base = selfUrl(req);

      // 1. The checkout session, the normal way: the user API with a LINE Login ID token.
      const checkoutRes = await fetch(`${base}/api/checkout`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${idToken(lineUserId)}`,
        },
        body: JSON.stringify({ productId: product.id }),
      });
      const session = (await checkoutRes.json().catch(() => null)) as {
        sessionId?: string;
        url?: string;
      } | null;
      if (checkoutRes.status !== 201 || !session?.sessionId)
        throw new HttpError(
          502,
          'CHECKOUT_FAILED',
          `/api/checkout answered ${checkoutRes.status}`,
          {
            checkout: session,
          },
        );
      const user = await deps.db.user.findUniqueOrThrow({ where: { lineUserId } });

      // 2. The payment, as Stripe reports it: a signed checkout.session.completed.
      const now = Math.floor(Date.now() / 1000);
      const metadata = { userId: user.id, productId: product.id, lineUserId };
      const eventId = stripeLikeId('evt');
      const event = {
        id: eventId,
        object: 'event',
        api_version: Stripe.API_VERSION,
        created: now,
        data: {
          object: {
            id: session.sessionId,
            object: 'checkout.session',
            amount_subtotal: product.priceYen,
            amount_total: product.priceYen,
            client_reference_id: user.id,
            created: now - 5,
            currency: 'jpy',
            customer: user.stripeCustomerId,
            livemode: false,
            locale: 'ja',
            metadata,
            mode: 'payment',
            payment_intent: stripeLikeId('pi'),
            payment_method_types: ['card'],
            payment_status: 'paid',
            status: 'complete',
            subscription: null,
            ui_mode: 'hosted',
            url: null,
          },
        },
        livemode: false,
        pending_webhooks: 1,
        request: { id: null, idempotency_key: null },
        type: 'checkout.session.completed',
      };
      const payload = JSON.stringify(event, null, 2);
      const at = new Date().toISOString();
      const signature = stripe.webhooks.generateTestHeaderString({
        payload,
        secret: env.STRIPE_WEBHOOK_SECRET,
      });
      const webhookRes = await fetch(`${base}/webhooks/stripe`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          'stripe-signature': signature,
        },
        body: payload,
      });
      const answer = (await webhookRes.json().catch(() => null)) as {
        workflowId?: string;
      } | null;
      if (!webhookRes.ok)
        throw new HttpError(
          502,
          'WEBHOOK_REFUSED',
          `/webhooks/stripe answered ${webhookRes.status}`,
          {
            webhook: answer,
          },
        );
      const entry = remember(lineUserId, at, {
        kind: 'buy',
        productId: product.id,
        productName: product.name,
        sessionId: session.sessionId,
        stripeEventId: eventId,
        workflowIds: answer?.workflowId ? [answer.workflowId] : [],
        status: webhookRes.status,
      });
      res.status(202).json({ ...entry, checkoutUrl: session.url });
    },
  );

  router.get('/dev/api/users/:lineUserId/timeline', async (req, res) => {
    const lineUserId = lineUserIdOf(req);
    const [records, account, workflows] = await Promise.all([
      standIn.received({ userId: lineUserId }).catch(() => null),
      accountOf(lineUserId),
      workflowsOf(lineUserId),
    ]);
    const byId = new Map(workflows.list.map((w) => [w.workflowId, w]));
    const linkFor = (workflowId: string) =>
      byId.get(workflowId)?.url ?? uiQuery(`WorkflowId="${workflowId}"`);
    const recent = (sent.get(lineUserId) ?? []).slice(-TIMELINE_LIMIT);
    // Which session run handled each event (chat turns run inside it): its claim.
    const eventIds = recent.flatMap((e) => (e.webhookEventId ? [e.webhookEventId] : []));
    const claims = await deps.db.processedEvent
      .findMany({
        where: { source: 'line', eventId: { in: eventIds } },
        select: { eventId: true, workflowId: true, runId: true },
      })
      .catch(() => []);
    const claimOf = new Map(claims.map((c) => [c.eventId, c]));
    const mine = recent.map((e) => {
      const links = new Map<string, string>();
      for (const id of e.workflowIds ?? []) links.set(id, linkFor(id));
      const claim = e.webhookEventId ? claimOf.get(e.webhookEventId) : undefined;
      if (claim?.workflowId && claim.runId)
        links.set(claim.workflowId, uiWorkflow(claim.workflowId, claim.runId));
      // Other events run as children named after the webhook event (stamp-photo-<id>, follow-<id>).
      if (e.webhookEventId)
        for (const w of workflows.list)
          if (w.workflowId.includes(e.webhookEventId)) links.set(w.workflowId, w.url);
      return {
        ...e,
        workflows: [...links].map(([workflowId, url]) => ({ workflowId, url })),
      };
    });
    const sessionId = sessionWorkflowId(lineUserId);
    res.set('cache-control', 'no-store').json({
      lineUserId,
      standInReachable: records !== null,
      sent: mine,
      bot: records ? botEntries(records.slice(-TIMELINE_LIMIT)) : [],
      account,
      workflows: workflows.list,
      workflowsError: workflows.error,
      temporal: {
        userWorkflowsUrl: uiQuery(`LineUserId="${lineUserId}"`),
        sessionUrl: linkFor(sessionId),
      },
    });
  });

  router.get('/dev/api/users/:lineUserId/photos/:messageId', async (req, res) => {
    lineUserIdOf(req);
    const messageId = param(req, 'messageId');
    if (!/^\d{1,30}$/.test(messageId))
      throw new HttpError(400, 'INVALID_INPUT', 'messageId must be numeric');
    const content = await fetch(
      `${env.LINE_DATA_API_BASE_URL.replace(/\/+$/, '')}/v2/bot/message/${messageId}/content`,
      { headers: { authorization: `Bearer ${env.LINE_CHANNEL_ACCESS_TOKEN}` } },
    );
    if (!content.ok) throw new HttpError(404, 'NOT_FOUND', 'no such photo at the LINE stand-in');
    res
      .set('cache-control', 'private, max-age=3600')
      .type(content.headers.get('content-type') ?? 'application/octet-stream')
      .send(Buffer.from(await content.arrayBuffer()));
  });

  return router;
}
