import { generateKeyPairSync, randomBytes, randomUUID, sign } from 'node:crypto';
import { matchesFailurePath } from '../http-kit';
import { createRichMenuStore, type RichMenuStore } from './rich-menus';
import type {
  LineFailureOptions,
  LineMessage,
  LineProfile,
  LineRecord,
  LineRecordKind,
  LinePlatformStandIn,
  SentMessage,
  StartLinePlatformOptions,
} from './types';

/**
 * What the LINE Platform stand-in remembers: issued reply tokens, accepted retry keys, content
 * and profiles registered for tests, every accepted request (as LineRecords), queued failures,
 * the month's push count, and LINE Login's ES256 signing key. The routes read and change it;
 * the in-process API exposes it.
 */

export interface Failure {
  path: string;
  status: number;
  remaining: number;
  opts: LineFailureOptions;
}

interface ReplyTokenState {
  userId?: string;
  chatId?: string;
  issuedAt: number;
  used: boolean;
}

interface AcceptedRetry {
  requestId: string;
  sentMessages: SentMessage[];
}

type RecordFilter = { userId?: string; kind?: LineRecordKind; after?: number };

/** The in-process operations of the stand-in (everything but its address and close). */
export type LineStandInOperations = Omit<LinePlatformStandIn, 'url' | 'dataUrl' | 'port' | 'close'>;

export interface LineState extends LineStandInOperations {
  readonly validateIds: boolean;
  readonly httpsOnly: boolean;
  readonly channelAccessToken: string;
  /** The stand-in's own URL, once it listens (for its health answer). */
  baseUrl: string;
  /** LINE Login's public keys, as https://api.line.me/oauth2/v2.1/certs serves them. */
  readonly loginJwks: { keys: Array<Record<string, unknown>> };
  record(entry: Omit<LineRecord, 'seq' | 'at'>): LineRecord;
  sentMessagesFor(count: number): SentMessage[];
  /**
   * Uses up a reply token: the user it was issued for, or null when it was not issued here,
   * was already used, or is older than replyTokenMaxAgeSeconds.
   */
  useReplyToken(token: string): { userId?: string; chatId?: string } | null;
  acceptedRetry(retryKey: string): AcceptedRetry | undefined;
  acceptRetry(retryKey: string, accepted: AcceptedRetry): void;
  /** Counts one push; false (nothing counted) once the monthly push limit is reached. */
  countPush(): boolean;
  /** The first queued failure for the path, counted down; undefined when none. */
  takeFailure(path: string): Failure | undefined;
  content(messageId: string): { data: Buffer; contentType: string } | undefined;
  profileFor(userId: string): LineProfile;
  /** Rich menus, their images, the default and the log of changes (./rich-menus.ts). */
  readonly richMenuStore: RichMenuStore;
}

export function createLineState(options: StartLinePlatformOptions): LineState {
  const maxAgeMs = (options.replyTokenMaxAgeSeconds ?? 60) * 1000;

  const replyTokens = new Map<string, ReplyTokenState>();
  const retryKeys = new Map<string, AcceptedRetry>();
  const contents = new Map<string, { data: Buffer; contentType: string }>();
  const profiles = new Map<string, Partial<LineProfile>>();
  let records: LineRecord[] = [];
  let failures: Failure[] = [];
  let seq = 0;
  let pushCount = 0;
  const listeners = new Set<(record: LineRecord) => void>();
  let messageIdCounter = BigInt(Date.now()) * 1000n;
  const richMenuStore = createRichMenuStore();

  // LINE Login's signing key for ES256 ID tokens (LIFF, native SDKs); its public half is
  // served as a JWKS like https://api.line.me/oauth2/v2.1/certs.
  const loginKid = randomUUID();
  const loginKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const loginJwks = {
    keys: [
      { ...loginKeys.publicKey.export({ format: 'jwk' }), kid: loginKid, alg: 'ES256', use: 'sig' },
    ],
  };

  function received(filter: RecordFilter = {}): LineRecord[] {
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

  return {
    validateIds: options.validateIds ?? true,
    httpsOnly: options.requireHttpsMediaUrls ?? false,
    richMenuStore,
    channelAccessToken: options.channelAccessToken,
    baseUrl: '',
    loginJwks,

    record(entry) {
      const full: LineRecord = { ...entry, seq: ++seq, at: new Date() };
      records.push(full);
      for (const listener of [...listeners]) listener(full);
      return full;
    },

    sentMessagesFor(count) {
      return Array.from({ length: count }, () => ({
        id: String(++messageIdCounter),
        quoteToken: randomBytes(48).toString('base64url'),
      }));
    },

    signIdToken(claims) {
      const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
      const head = b64({ typ: 'JWT', alg: 'ES256', kid: loginKid });
      const body = b64(claims);
      const signature = sign('sha256', Buffer.from(`${head}.${body}`), {
        key: loginKeys.privateKey,
        dsaEncoding: 'ieee-p1363',
      });
      return `${head}.${body}.${signature.toString('base64url')}`;
    },

    issueReplyToken(opts = {}) {
      const token = randomBytes(16).toString('hex');
      replyTokens.set(token, {
        userId: opts.userId,
        ...(opts.chatId ? { chatId: opts.chatId } : {}),
        issuedAt: Date.now() - (opts.ageSeconds ?? 0) * 1000,
        used: false,
      });
      return token;
    },

    useReplyToken(token) {
      const state = replyTokens.get(token);
      if (!state || state.used || Date.now() - state.issuedAt > maxAgeMs) return null;
      state.used = true;
      return { userId: state.userId, ...(state.chatId ? { chatId: state.chatId } : {}) };
    },

    acceptedRetry: (retryKey) => retryKeys.get(retryKey.toLowerCase()),
    acceptRetry(retryKey, accepted) {
      retryKeys.set(retryKey.toLowerCase(), accepted);
    },

    countPush() {
      if (options.monthlyPushLimit !== undefined && pushCount >= options.monthlyPushLimit)
        return false;
      pushCount++;
      return true;
    },

    takeFailure(path) {
      const failure = failures.find((f) => f.remaining > 0 && matchesFailurePath(f.path, path));
      if (!failure) return undefined;
      failure.remaining--;
      failures = failures.filter((f) => f.remaining > 0);
      return failure;
    },

    content: (messageId) => contents.get(messageId),

    profileFor(userId) {
      const custom = profiles.get(userId) ?? {};
      return {
        userId,
        displayName: custom.displayName ?? `LINEユーザー${userId.slice(1, 5)}`,
        language: custom.language ?? 'ja',
        ...(custom.pictureUrl ? { pictureUrl: custom.pictureUrl } : {}),
        ...(custom.statusMessage ? { statusMessage: custom.statusMessage } : {}),
      };
    },

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

    richMenus() {
      return {
        menus: [...richMenuStore.menus.values()].map((m) => ({
          richMenuId: m.richMenuId,
          name: m.name,
          hasImage: m.image !== undefined,
        })),
        defaultId: richMenuStore.defaultId,
        calls: [...richMenuStore.calls],
      };
    },

    putContent(messageId, data, contentType) {
      contents.set(messageId, { data: Buffer.from(data), contentType });
    },

    setProfile(userId, profile) {
      profiles.set(userId, { ...profiles.get(userId), ...profile });
    },

    failNext(path, status, count = 1, opts = {}) {
      failures.push({ path, status, remaining: count, opts });
    },

    reset() {
      replyTokens.clear();
      retryKeys.clear();
      contents.clear();
      profiles.clear();
      records = [];
      failures = [];
      pushCount = 0;
      richMenuStore.menus.clear();
      richMenuStore.defaultId = undefined;
      richMenuStore.calls = [];
    },
  };
}
