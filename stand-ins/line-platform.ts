import { generateKeyPairSync, randomBytes, randomUUID, sign } from 'node:crypto';
import type http from 'node:http';
import {
  CORS_HEADERS,
  closeServer,
  fetchJson,
  isRecord,
  jsonErrorLocation,
  listen,
  matchPath,
  matchesFailurePath,
  parseJson,
  readBody,
  sendEmpty,
  sendJson,
  sleep,
} from './http-kit';

/**
 * Stand-in for the LINE Platform (Messaging API on api.line.me and the data API on
 * api-data.line.me), speaking LINE's request/response shapes and status codes for the calls
 * this product makes. Both hosts are served by the same server, so point BOTH
 * LINE_API_BASE_URL and LINE_DATA_API_BASE_URL at `url`.
 *
 * Implemented (all need `Authorization: Bearer <channel access token>`, else 401):
 * - POST /v2/bot/message/reply        {replyToken, messages[1..5], notificationDisabled?}
 * - POST /v2/bot/message/push         {to, messages[1..5]} + optional X-Line-Retry-Key (UUID)
 * - POST /v2/bot/chat/loading/start   {chatId, loadingSeconds? 5..60 step 5, default 20} → 202 {}
 * - GET  /v2/bot/message/{id}/content (and /content/preview): bytes registered by putContent
 * - GET  /v2/bot/profile/{userId}
 *
 * Inspection/control (no auth, CORS open, for tests in other processes and the simulator page):
 * - GET  /__stand-in/messages?userId=&kind=&after=   → {received: LineRecord[]}
 * - POST /__stand-in/reply-tokens {userId?, ageSeconds?} → 201 {replyToken}
 * - POST /__stand-in/content/{messageId} (raw body, Content-Type kept) → 201
 * - POST /__stand-in/profiles/{userId} {displayName, ...} → 204
 * - POST /__stand-in/fail {path, status, count?, body?, headers?, applyEffect?} → 204
 * - POST /__stand-in/reset → 204
 *
 * Deviations worth knowing: reply tokens are only valid if issued by this stand-in
 * (issueReplyToken or POST /__stand-in/reply-tokens); an expired or reused token gets the same
 * 400 "Invalid reply token" as LINE. Text length is counted in UTF-16 code units (an emoji
 * counts 2), the strictest reading of LINE's 5000-character limit. Retry keys never expire
 * (LINE keeps them for 24 hours).
 */

export type LineRecordKind = 'reply' | 'push' | 'loading';

export interface LineMessage {
  type: string;
  text?: string;
  [key: string]: unknown;
}

export interface SentMessage {
  id: string;
  quoteToken?: string;
}

export interface LineRecord {
  /** Increasing sequence number, usable as `after` when polling over HTTP. */
  seq: number;
  kind: LineRecordKind;
  /** The user (or chat) the messages went to; for replies, the user the token was issued for. */
  to?: string;
  replyToken?: string;
  messages?: LineMessage[];
  sentMessages?: SentMessage[];
  loadingSeconds?: number;
  retryKey?: string;
  notificationDisabled?: boolean;
  /** x-line-request-id of the accepted request. */
  requestId: string;
  at: Date;
}

export interface LineProfile {
  userId: string;
  displayName: string;
  pictureUrl?: string;
  statusMessage?: string;
  language?: string;
}

export interface LineFailureOptions {
  /** Response body; defaults to LINE's error body for the status. */
  body?: unknown;
  headers?: Record<string, string>;
  /**
   * Process the request first (record it, consume the reply token, accept the retry key) and
   * only then answer with the failure: the "5xx although it was delivered" case that retry keys
   * exist for.
   */
  applyEffect?: boolean;
}

export interface StartLinePlatformOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  channelAccessToken: string;
  /** A reply token older than this is rejected with "Invalid reply token". Default 60. */
  replyTokenMaxAgeSeconds?: number;
  /**
   * Require LINE-shaped IDs (`U` + 32 hex for users; `C`/`R` for groups/rooms) in `to`,
   * `chatId` and profile look-ups, as LINE does. Default true; `makeLineUserId()` makes one.
   */
  validateIds?: boolean;
  /** LINE requires https media URLs; local object storage is usually http. Default false. */
  requireHttpsMediaUrls?: boolean;
  /** Push messages allowed before 429 "You have reached your monthly limit." Default unlimited. */
  monthlyPushLimit?: number;
}

export interface LinePlatformStandIn {
  /** Base URL for both LINE_API_BASE_URL and LINE_DATA_API_BASE_URL. */
  url: string;
  /** Same as `url` (the data API is served by the same server). */
  dataUrl: string;
  port: number;
  close(): Promise<void>;
  issueReplyToken(opts?: { userId?: string; ageSeconds?: number }): string;
  /**
   * An ES256 LINE Login ID token as LIFF issues it, signed with this stand-in's key (published
   * at /oauth2/v2.1/certs, as LINE publishes its keys). `claims` go into the payload as given.
   */
  signIdToken(claims: Record<string, unknown>): string;
  received(filter?: { userId?: string; kind?: LineRecordKind; after?: number }): LineRecord[];
  /** Every message sent to the user by reply or push, in order. */
  messagesFor(userId: string): LineMessage[];
  /** Texts of the text messages sent to the user, in order. */
  textsFor(userId: string): string[];
  /** Resolves with the first record (already received or arriving) matching the predicate. */
  waitFor(predicate: (record: LineRecord) => boolean, timeoutMs?: number): Promise<LineRecord>;
  putContent(messageId: string, data: Buffer | Uint8Array, contentType: string): void;
  setProfile(userId: string, profile: Partial<Omit<LineProfile, 'userId'>>): void;
  /** The next `count` requests whose path matches get `status` (`*` or `{x}` match a segment). */
  failNext(path: string, status: number, count?: number, opts?: LineFailureOptions): void;
  reset(): void;
}

const USER_ID = /^U[0-9a-f]{32}$/;
const CHAT_ID = /^[UCR][0-9a-f]{32}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MESSAGE_TYPES = new Set([
  'text',
  'textV2',
  'sticker',
  'image',
  'video',
  'audio',
  'location',
  'imagemap',
  'template',
  'flex',
]);
const MAX_BODY = 2 * 1024 * 1024;
const MAX_CONTENT_UPLOAD = 50 * 1024 * 1024;

/** A syntactically valid LINE user ID; deterministic for a given seed. */
export function makeLineUserId(seed?: string): string {
  if (seed === undefined) return `U${randomBytes(16).toString('hex')}`;
  let h = 0x811c9dc5;
  const out: string[] = [];
  for (let round = 0; round < 4; round++) {
    for (const ch of `${round}:${seed}`) {
      h ^= ch.codePointAt(0) ?? 0;
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    out.push(h.toString(16).padStart(8, '0'));
  }
  return `U${out.join('')}`;
}

interface ReplyTokenState {
  userId?: string;
  issuedAt: number;
  used: boolean;
}

interface Failure {
  path: string;
  status: number;
  remaining: number;
  opts: LineFailureOptions;
}

interface Detail {
  message: string;
  property: string;
}

function defaultErrorBody(status: number): unknown {
  switch (status) {
    case 400:
      return { message: 'Bad Request' };
    case 401:
      return {
        message:
          'Authentication failed due to the following reason: invalid token. Confirm that the access token in the authorization header is valid.',
      };
    case 403:
      return { message: 'Access to this API is not available for your account' };
    case 404:
      return { message: 'Not found' };
    case 429:
      return { message: 'The API rate limit has been exceeded. Try again later.' };
    default:
      return status >= 500 ? { message: 'Internal server error' } : { message: `Error ${status}` };
  }
}

function validationError(details: Detail[]): unknown {
  return { message: `The request body has ${details.length} error(s)`, details };
}

export async function startLinePlatform(
  options: StartLinePlatformOptions,
): Promise<LinePlatformStandIn> {
  const maxAgeMs = (options.replyTokenMaxAgeSeconds ?? 60) * 1000;
  const validateIds = options.validateIds ?? true;
  const httpsOnly = options.requireHttpsMediaUrls ?? false;

  const replyTokens = new Map<string, ReplyTokenState>();
  const retryKeys = new Map<string, { requestId: string; sentMessages: SentMessage[] }>();
  const contents = new Map<string, { data: Buffer; contentType: string }>();
  const profiles = new Map<string, Partial<LineProfile>>();
  let records: LineRecord[] = [];
  let failures: Failure[] = [];
  let seq = 0;
  let pushCount = 0;
  const listeners = new Set<(record: LineRecord) => void>();
  let baseUrl = '';
  let messageIdCounter = BigInt(Date.now()) * 1000n;

  function record(entry: Omit<LineRecord, 'seq' | 'at'>): LineRecord {
    const full: LineRecord = { ...entry, seq: ++seq, at: new Date() };
    records.push(full);
    for (const listener of [...listeners]) listener(full);
    return full;
  }

  function sentMessagesFor(count: number): SentMessage[] {
    return Array.from({ length: count }, () => ({
      id: String(++messageIdCounter),
      quoteToken: randomBytes(48).toString('base64url'),
    }));
  }

  // LINE Login's signing key for ES256 ID tokens (LIFF, native SDKs); its public half is
  // served as a JWKS like https://api.line.me/oauth2/v2.1/certs.
  const loginKid = randomUUID();
  const loginKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const loginJwks = {
    keys: [
      { ...loginKeys.publicKey.export({ format: 'jwk' }), kid: loginKid, alg: 'ES256', use: 'sig' },
    ],
  };
  function signIdToken(claims: Record<string, unknown>): string {
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const head = b64({ typ: 'JWT', alg: 'ES256', kid: loginKid });
    const body = b64(claims);
    const signature = sign('sha256', Buffer.from(`${head}.${body}`), {
      key: loginKeys.privateKey,
      dsaEncoding: 'ieee-p1363',
    });
    return `${head}.${body}.${signature.toString('base64url')}`;
  }

  function issueReplyToken(opts: { userId?: string; ageSeconds?: number } = {}): string {
    const token = randomBytes(16).toString('hex');
    replyTokens.set(token, {
      userId: opts.userId,
      issuedAt: Date.now() - (opts.ageSeconds ?? 0) * 1000,
      used: false,
    });
    return token;
  }

  function received(filter: { userId?: string; kind?: LineRecordKind; after?: number } = {}) {
    return records.filter(
      (r) =>
        (filter.userId === undefined || r.to === filter.userId) &&
        (filter.kind === undefined || r.kind === filter.kind) &&
        (filter.after === undefined || r.seq > filter.after),
    );
  }

  function messagesFor(userId: string): LineMessage[] {
    return received({ userId }).flatMap((r) => r.messages ?? []);
  }

  function takeFailure(path: string): Failure | undefined {
    const failure = failures.find((f) => f.remaining > 0 && matchesFailurePath(f.path, path));
    if (!failure) return undefined;
    failure.remaining--;
    failures = failures.filter((f) => f.remaining > 0);
    return failure;
  }

  function validateMessages(messages: unknown): Detail[] {
    if (messages === undefined || messages === null) {
      return [{ message: 'must be specified', property: 'messages' }];
    }
    if (!Array.isArray(messages)) {
      return [{ message: 'must be an array', property: 'messages' }];
    }
    if (messages.length < 1 || messages.length > 5) {
      return [{ message: 'Size must be between 1 and 5', property: 'messages' }];
    }
    const details: Detail[] = [];
    messages.forEach((m: unknown, i) => {
      const at = `messages[${i}]`;
      if (!isRecord(m)) {
        details.push({ message: 'must be an object', property: at });
        return;
      }
      if (typeof m.type !== 'string' || !m.type) {
        details.push({ message: 'must be specified', property: `${at}.type` });
        return;
      }
      if (!MESSAGE_TYPES.has(m.type)) {
        details.push({
          message: `Invalid message type '${m.type}'`,
          property: `${at}.type`,
        });
        return;
      }
      const url = (prop: string, max: number) => {
        const v = m[prop];
        if (typeof v !== 'string' || !v) {
          details.push({ message: 'must be specified', property: `${at}.${prop}` });
        } else if (v.length > max) {
          details.push({
            message: `Length must be between 0 and ${max}`,
            property: `${at}.${prop}`,
          });
        } else if (!/^https?:\/\//.test(v) || (httpsOnly && !v.startsWith('https://'))) {
          details.push({ message: 'must be non-empty HTTPS URL', property: `${at}.${prop}` });
        }
      };
      const text = (prop: string, max: number) => {
        const v = m[prop];
        if (typeof v !== 'string' || !v) {
          details.push({ message: 'must be specified', property: `${at}.${prop}` });
        } else if (v.length > max) {
          details.push({
            message: `Length must be between 0 and ${max}`,
            property: `${at}.${prop}`,
          });
        }
      };
      switch (m.type) {
        case 'text':
        case 'textV2':
          text('text', 5000);
          break;
        case 'image':
          url('originalContentUrl', 2000);
          url('previewImageUrl', 2000);
          break;
        case 'video':
          url('originalContentUrl', 2000);
          url('previewImageUrl', 2000);
          break;
        case 'audio':
          url('originalContentUrl', 2000);
          break;
        case 'sticker':
          text('packageId', 100);
          text('stickerId', 100);
          break;
        case 'flex':
          text('altText', 1500);
          if (!isRecord(m.contents)) {
            details.push({ message: 'must be specified', property: `${at}.contents` });
          }
          break;
        case 'template':
          text('altText', 400);
          if (!isRecord(m.template)) {
            details.push({ message: 'must be specified', property: `${at}.template` });
          }
          break;
        default:
          break;
      }
      if (m.quickReply !== undefined) {
        const items = isRecord(m.quickReply) ? m.quickReply.items : undefined;
        if (!Array.isArray(items) || items.length < 1 || items.length > 13) {
          details.push({
            message: 'Size must be between 1 and 13',
            property: `${at}.quickReply.items`,
          });
        }
      }
    });
    return details;
  }

  function profileFor(userId: string): LineProfile {
    const custom = profiles.get(userId) ?? {};
    return {
      userId,
      displayName: custom.displayName ?? `LINEユーザー${userId.slice(1, 5)}`,
      language: custom.language ?? 'ja',
      ...(custom.pictureUrl ? { pictureUrl: custom.pictureUrl } : {}),
      ...(custom.statusMessage ? { statusMessage: custom.statusMessage } : {}),
    };
  }

  async function handleApi(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    method: string,
    path: string,
  ): Promise<void> {
    const requestId = randomUUID();
    const base = { 'x-line-request-id': requestId };
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      sendJson(res, status, body, { ...base, ...headers });

    const auth = req.headers.authorization;
    if (!auth) {
      reply(401, {
        message:
          "Authorization header required. Must follow the scheme, 'Authorization: Bearer <ACCESS TOKEN>'",
      });
      return;
    }
    if (auth !== `Bearer ${options.channelAccessToken}`) {
      reply(401, defaultErrorBody(401));
      return;
    }

    const failure = takeFailure(path);
    if (failure && !failure.opts.applyEffect) {
      reply(
        failure.status,
        failure.opts.body ?? defaultErrorBody(failure.status),
        failure.opts.headers,
      );
      return;
    }
    // With applyEffect the request runs normally; the failure replaces the response at the end.
    const respond = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      failure
        ? reply(
            failure.status,
            failure.opts.body ?? defaultErrorBody(failure.status),
            failure.opts.headers,
          )
        : reply(status, body, headers);

    const content = matchPath('/v2/bot/message/:messageId/content', path);
    const preview = matchPath('/v2/bot/message/:messageId/content/preview', path);
    const contentId = content?.messageId ?? preview?.messageId;
    if (contentId !== undefined) {
      if (method !== 'GET') return reply(405, { message: 'Method Not Allowed' });
      const item = contents.get(contentId);
      if (!item) return respond(404, { message: 'Not found' });
      if (failure) return respond(200, null);
      if (res.headersSent || res.destroyed) return;
      res.writeHead(200, {
        ...base,
        'content-type': item.contentType,
        'content-length': String(item.data.length),
      });
      res.end(item.data);
      return;
    }

    const profile = matchPath('/v2/bot/profile/:userId', path);
    if (profile) {
      if (method !== 'GET') return reply(405, { message: 'Method Not Allowed' });
      const userId = profile.userId ?? '';
      if (validateIds && !USER_ID.test(userId)) {
        return respond(400, { message: "The value for the 'userId' parameter is invalid" });
      }
      return respond(200, profileFor(userId));
    }

    const endpoints = [
      '/v2/bot/message/reply',
      '/v2/bot/message/push',
      '/v2/bot/chat/loading/start',
    ];
    if (!endpoints.includes(path)) {
      return reply(404, { message: 'Not found' });
    }
    if (method !== 'POST') return reply(405, { message: 'Method Not Allowed' });

    const contentType = String(req.headers['content-type'] ?? '');
    if (!/^application\/json\b/i.test(contentType)) {
      return reply(415, { message: `The content type, '${contentType}', is not supported` });
    }
    const raw = await readBody(req, MAX_BODY);
    const parsed = parseJson(raw);
    if (!parsed.ok) {
      const { line, column } = jsonErrorLocation(raw.toString('utf8'), parsed.error);
      return reply(400, {
        message: `The request body could not be parsed as JSON (line: ${line}, column: ${column})`,
      });
    }
    if (!isRecord(parsed.value)) {
      return reply(400, {
        message: 'The request body could not be parsed as JSON (line: 1, column: 1)',
      });
    }
    const body = parsed.value;
    const retryKeyHeader = req.headers['x-line-retry-key'];
    const retryKey = Array.isArray(retryKeyHeader) ? retryKeyHeader[0] : retryKeyHeader;

    if (path === '/v2/bot/message/reply') {
      if (retryKey !== undefined) {
        return reply(400, { message: 'X-Line-Retry-Key is not supported for this API' });
      }
      const details: Detail[] = [];
      if (typeof body.replyToken !== 'string' || !body.replyToken) {
        details.push({ message: 'must be specified', property: 'replyToken' });
      }
      details.push(...validateMessages(body.messages));
      if (details.length) return reply(400, validationError(details));
      const token = replyTokens.get(body.replyToken as string);
      if (!token || token.used || Date.now() - token.issuedAt > maxAgeMs) {
        return reply(400, { message: 'Invalid reply token' });
      }
      token.used = true;
      const messages = body.messages as LineMessage[];
      const sentMessages = sentMessagesFor(messages.length);
      record({
        kind: 'reply',
        to: token.userId,
        replyToken: body.replyToken as string,
        messages,
        sentMessages,
        notificationDisabled: body.notificationDisabled === true,
        requestId,
      });
      return respond(200, { sentMessages });
    }

    if (path === '/v2/bot/message/push') {
      if (retryKey !== undefined && !UUID.test(retryKey)) {
        return reply(400, { message: 'The retry key must be a UUID in hexadecimal format' });
      }
      if (retryKey !== undefined) {
        const accepted = retryKeys.get(retryKey.toLowerCase());
        if (accepted) {
          return reply(
            409,
            { message: 'The retry key is already accepted', sentMessages: accepted.sentMessages },
            { 'x-line-accepted-request-id': accepted.requestId },
          );
        }
      }
      const details: Detail[] = [];
      if (typeof body.to !== 'string' || !body.to) {
        details.push({ message: 'must be specified', property: 'to' });
      }
      details.push(...validateMessages(body.messages));
      if (details.length) return reply(400, validationError(details));
      const to = body.to as string;
      if (validateIds && !CHAT_ID.test(to)) {
        return reply(400, {
          message: "The property, 'to', in the request body is invalid (line: -, column: -)",
        });
      }
      if (options.monthlyPushLimit !== undefined && pushCount >= options.monthlyPushLimit) {
        return reply(429, { message: 'You have reached your monthly limit.' });
      }
      pushCount++;
      const messages = body.messages as LineMessage[];
      const sentMessages = sentMessagesFor(messages.length);
      if (retryKey !== undefined) {
        retryKeys.set(retryKey.toLowerCase(), { requestId, sentMessages });
      }
      record({
        kind: 'push',
        to,
        messages,
        sentMessages,
        notificationDisabled: body.notificationDisabled === true,
        ...(retryKey !== undefined ? { retryKey } : {}),
        requestId,
      });
      return respond(200, { sentMessages });
    }

    // POST /v2/bot/chat/loading/start
    if (retryKey !== undefined) {
      return reply(400, { message: 'X-Line-Retry-Key is not supported for this API' });
    }
    const details: Detail[] = [];
    if (typeof body.chatId !== 'string' || !body.chatId) {
      details.push({ message: 'must be specified', property: 'chatId' });
    } else if (validateIds && !USER_ID.test(body.chatId)) {
      details.push({ message: 'must be a user ID (one-on-one chats only)', property: 'chatId' });
    }
    const seconds = body.loadingSeconds ?? 20;
    if (
      typeof seconds !== 'number' ||
      !Number.isInteger(seconds) ||
      seconds < 5 ||
      seconds > 60 ||
      seconds % 5 !== 0
    ) {
      details.push({
        message: 'must be a multiple of 5 between 5 and 60',
        property: 'loadingSeconds',
      });
    }
    if (details.length) return reply(400, validationError(details));
    record({
      kind: 'loading',
      to: body.chatId as string,
      loadingSeconds: seconds as number,
      requestId,
    });
    return respond(202, {});
  }

  async function handleInspection(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    method: string,
    path: string,
    query: URLSearchParams,
  ): Promise<void> {
    const send = (status: number, body: unknown) => sendJson(res, status, body, CORS_HEADERS);
    if (method === 'OPTIONS') return sendEmpty(res, 204, CORS_HEADERS);
    const readJson = async (): Promise<Record<string, unknown>> => {
      const raw = await readBody(req, MAX_BODY);
      if (raw.length === 0) return {};
      const parsed = parseJson(raw);
      if (!parsed.ok || !isRecord(parsed.value))
        throw new InspectionError('body must be a JSON object');
      return parsed.value;
    };
    try {
      if (method === 'GET' && (path === '/__stand-in' || path === '/__stand-in/health')) {
        return send(200, { ok: true, service: 'line-platform', url: baseUrl });
      }
      if (method === 'GET' && path === '/__stand-in/messages') {
        const kind = query.get('kind') ?? undefined;
        if (kind !== undefined && !['reply', 'push', 'loading'].includes(kind)) {
          throw new InspectionError('kind must be reply, push or loading');
        }
        const after = query.get('after');
        return send(200, {
          received: received({
            userId: query.get('userId') ?? undefined,
            kind: kind as LineRecordKind | undefined,
            after: after === null ? undefined : Number(after),
          }),
        });
      }
      if (method === 'POST' && path === '/__stand-in/reply-tokens') {
        const body = await readJson();
        if (body.userId !== undefined && typeof body.userId !== 'string') {
          throw new InspectionError('userId must be a string');
        }
        if (body.ageSeconds !== undefined && typeof body.ageSeconds !== 'number') {
          throw new InspectionError('ageSeconds must be a number');
        }
        const replyToken = issueReplyToken({
          userId: body.userId as string | undefined,
          ageSeconds: body.ageSeconds as number | undefined,
        });
        return send(201, { replyToken });
      }
      const contentUpload = matchPath('/__stand-in/content/:messageId', path);
      if (method === 'POST' && contentUpload) {
        const data = await readBody(req, MAX_CONTENT_UPLOAD);
        const contentType = String(req.headers['content-type'] ?? 'application/octet-stream');
        const messageId = contentUpload.messageId ?? '';
        putContent(messageId, data, contentType);
        return send(201, { messageId, size: data.length, contentType });
      }
      const profileUpdate = matchPath('/__stand-in/profiles/:userId', path);
      if (method === 'POST' && profileUpdate) {
        const body = await readJson();
        setProfile(profileUpdate.userId ?? '', body as Partial<LineProfile>);
        return sendEmpty(res, 204, CORS_HEADERS);
      }
      if (method === 'POST' && path === '/__stand-in/fail') {
        const body = await readJson();
        if (typeof body.path !== 'string' || typeof body.status !== 'number') {
          throw new InspectionError('path (string) and status (number) are required');
        }
        failNext(body.path, body.status, typeof body.count === 'number' ? body.count : 1, {
          body: body.body,
          headers: isRecord(body.headers) ? (body.headers as Record<string, string>) : undefined,
          applyEffect: body.applyEffect === true,
        });
        return sendEmpty(res, 204, CORS_HEADERS);
      }
      if (method === 'POST' && path === '/__stand-in/reset') {
        reset();
        return sendEmpty(res, 204, CORS_HEADERS);
      }
      return send(404, { message: `no inspection endpoint ${method} ${path}` });
    } catch (err) {
      if (err instanceof InspectionError) return send(400, { message: err.message });
      throw err;
    }
  }

  function putContent(messageId: string, data: Buffer | Uint8Array, contentType: string): void {
    contents.set(messageId, { data: Buffer.from(data), contentType });
  }

  function setProfile(userId: string, profile: Partial<Omit<LineProfile, 'userId'>>): void {
    profiles.set(userId, { ...profiles.get(userId), ...profile });
  }

  function failNext(path: string, status: number, count = 1, opts: LineFailureOptions = {}): void {
    failures.push({ path, status, remaining: count, opts });
  }

  function reset(): void {
    replyTokens.clear();
    retryKeys.clear();
    contents.clear();
    profiles.clear();
    records = [];
    failures = [];
    pushCount = 0;
  }

  const listening = await listen(
    async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://stand-in');
      const method = req.method ?? 'GET';
      if (url.pathname === '/__stand-in' || url.pathname.startsWith('/__stand-in/')) {
        return handleInspection(req, res, method, url.pathname, url.searchParams);
      }
      // LINE Login's public keys: no channel access token needed, as at LINE.
      if (method === 'GET' && url.pathname === '/oauth2/v2.1/certs') {
        return sendJson(res, 200, loginJwks, CORS_HEADERS);
      }
      return handleApi(req, res, method, url.pathname);
    },
    options.port ?? 0,
    options.host ?? '127.0.0.1',
  );

  baseUrl = listening.url;
  return {
    url: listening.url,
    dataUrl: listening.url,
    port: listening.port,
    close: () => closeServer(listening.server),
    issueReplyToken,
    signIdToken,
    received,
    messagesFor,
    textsFor: (userId) =>
      messagesFor(userId).flatMap((m) => (typeof m.text === 'string' ? [m.text] : [])),
    waitFor(predicate, timeoutMs = 10_000) {
      const existing = records.find(predicate);
      if (existing) return Promise.resolve(existing);
      return new Promise((resolve, reject) => {
        const listener = (r: LineRecord) => {
          if (!predicate(r)) return;
          clearTimeout(timer);
          listeners.delete(listener);
          resolve(r);
        };
        const timer = setTimeout(() => {
          listeners.delete(listener);
          reject(
            new Error(
              `LINE stand-in: nothing matched within ${timeoutMs} ms; received ${JSON.stringify(records)}`,
            ),
          );
        }, timeoutMs);
        listeners.add(listener);
      });
    },
    putContent,
    setProfile,
    failNext,
    reset,
  };
}

class InspectionError extends Error {}

/**
 * The inspection API over HTTP, for code in another process than the stand-in (jest workers
 * when the global setup started it, the dev simulator). Same operations, asynchronous.
 */
export interface LinePlatformRemote {
  url: string;
  issueReplyToken(opts?: { userId?: string; ageSeconds?: number }): Promise<string>;
  received(filter?: {
    userId?: string;
    kind?: LineRecordKind;
    after?: number;
  }): Promise<LineRecord[]>;
  messagesFor(userId: string): Promise<LineMessage[]>;
  textsFor(userId: string): Promise<string[]>;
  /** Polls every `intervalMs` (default 100). */
  waitFor(
    predicate: (record: LineRecord) => boolean,
    timeoutMs?: number,
    intervalMs?: number,
  ): Promise<LineRecord>;
  putContent(messageId: string, data: Buffer | Uint8Array, contentType: string): Promise<void>;
  setProfile(userId: string, profile: Partial<Omit<LineProfile, 'userId'>>): Promise<void>;
  failNext(path: string, status: number, count?: number, opts?: LineFailureOptions): Promise<void>;
  reset(): Promise<void>;
}

export function connectLinePlatform(url: string): LinePlatformRemote {
  const base = url.replace(/\/+$/, '');
  const post = (path: string, body: unknown) =>
    fetchJson<unknown>(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const received = async (
    filter: { userId?: string; kind?: LineRecordKind; after?: number } = {},
  ) => {
    const q = new URLSearchParams();
    if (filter.userId !== undefined) q.set('userId', filter.userId);
    if (filter.kind !== undefined) q.set('kind', filter.kind);
    if (filter.after !== undefined) q.set('after', String(filter.after));
    const { received: list } = await fetchJson<{ received: Array<LineRecord & { at: string }> }>(
      `${base}/__stand-in/messages?${q.toString()}`,
    );
    return list.map((r) => ({ ...r, at: new Date(r.at) }));
  };
  const messagesFor = async (userId: string) =>
    (await received({ userId })).flatMap((r) => r.messages ?? []);
  return {
    url: base,
    async issueReplyToken(opts = {}) {
      const { replyToken } = (await post('/__stand-in/reply-tokens', opts)) as {
        replyToken: string;
      };
      return replyToken;
    },
    received,
    messagesFor,
    async textsFor(userId) {
      return (await messagesFor(userId)).flatMap((m) =>
        typeof m.text === 'string' ? [m.text] : [],
      );
    },
    async waitFor(predicate, timeoutMs = 10_000, intervalMs = 100) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const list = await received();
        const hit = list.find(predicate);
        if (hit) return hit;
        if (Date.now() >= deadline) {
          throw new Error(
            `LINE stand-in: nothing matched within ${timeoutMs} ms; received ${JSON.stringify(list)}`,
          );
        }
        await sleep(intervalMs);
      }
    },
    async putContent(messageId, data, contentType) {
      await fetchJson(`${base}/__stand-in/content/${encodeURIComponent(messageId)}`, {
        method: 'POST',
        headers: { 'content-type': contentType },
        body: Buffer.from(data),
      });
    },
    async setProfile(userId, profile) {
      await post(`/__stand-in/profiles/${encodeURIComponent(userId)}`, profile);
    },
    async failNext(path, status, count = 1, opts = {}) {
      await post('/__stand-in/fail', { path, status, count, ...opts });
    },
    async reset() {
      await post('/__stand-in/reset', {});
    },
  };
}
