/** The LINE Platform stand-in's public shapes (records, profiles, options, the in-process API). */

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
  /**
   * The group (C…) or room (R…) the messages went to: a reply on a token issued in one, or a
   * push to one (then equal to `to`). Absent for one-to-one chats.
   */
  chatId?: string;
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
  /** `chatId`: the group or room the event came from (its reply is recorded there). */
  issueReplyToken(opts?: { userId?: string; chatId?: string; ageSeconds?: number }): string;
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
  /** The rich menus (name, whether an image was uploaded), the default, and each accepted change. */
  richMenus(): {
    menus: Array<{ richMenuId: string; name: string; hasImage: boolean }>;
    defaultId: string | undefined;
    calls: Array<{ method: string; path: string; body?: unknown }>;
  };
  setProfile(userId: string, profile: Partial<Omit<LineProfile, 'userId'>>): void;
  /** The next `count` requests whose path matches get `status` (`*` or `{x}` match a segment). */
  failNext(path: string, status: number, count?: number, opts?: LineFailureOptions): void;
  reset(): void;
}
