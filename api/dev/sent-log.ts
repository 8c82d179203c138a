/**
 * What the simulator sent, per user, in memory (the page's left-hand bubbles), and the users
 * it created that may not be in the database yet. Lost on restart, by design: a dev tool.
 */

const SENT_LOG_LIMIT = 300;

export type SentKind =
  'follow' | 'text' | 'photo' | 'audio' | 'buy' | 'postback' | 'join' | 'leave' | 'sticker';

export interface SentEntry {
  id: string;
  kind: SentKind;
  at: string;
  /** A text message's text; a postback's displayText (what LINE shows as the user's). */
  text?: string;
  /** In a group or room: the member who sent it (LINE user ID). */
  from?: string;
  /** In a group or room: where the text mentions the bot ("@<bot name>"). */
  mention?: { index: number; length: number };
  /** A postback's data (e.g. action=buy&product=points_500). */
  data?: string;
  photoMessageId?: string;
  /** A LINE sticker: its package and sticker IDs. */
  packageId?: string;
  stickerId?: string;
  /** A voice message: its content's message ID, length, typed words and file name. */
  audioMessageId?: string;
  seconds?: number;
  spoken?: string;
  fileName?: string;
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

export interface KnownUser {
  lineUserId: string;
  displayName?: string;
  createdAt: string;
}

/** A simulated group chat (`C…`) or multi-person chat (`R…`) and its members. */
export interface KnownGroup {
  chatId: string;
  type: 'group' | 'room';
  name: string;
  members: string[];
  /** Whether the bot is in it (after a join, until a leave). */
  botIn: boolean;
  createdAt: string;
}

export interface SentLog {
  /** Keeps what was sent; `at` is taken before posting, so it sorts before the replies. */
  remember(lineUserId: string, at: string, entry: Omit<SentEntry, 'id' | 'at'>): SentEntry;
  /** The newest `limit` entries of the user, oldest first. */
  recent(lineUserId: string, limit: number): SentEntry[];
  addUser(user: KnownUser): void;
  user(lineUserId: string): KnownUser | undefined;
  users(): KnownUser[];
  addGroup(group: KnownGroup): void;
  group(chatId: string): KnownGroup | undefined;
  groups(): KnownGroup[];
}

export function createSentLog(newId: () => string): SentLog {
  const sent = new Map<string, SentEntry[]>();
  const created = new Map<string, KnownUser>();
  const groups = new Map<string, KnownGroup>();
  return {
    remember(lineUserId, at, entry) {
      const full: SentEntry = { id: newId(), at, ...entry };
      const list = sent.get(lineUserId) ?? [];
      list.push(full);
      while (list.length > SENT_LOG_LIMIT) list.shift();
      sent.set(lineUserId, list);
      // A group's or room's log (C…/R…) is not a user.
      if (lineUserId.startsWith('U') && !created.has(lineUserId))
        created.set(lineUserId, { lineUserId, createdAt: full.at });
      return full;
    },
    recent: (lineUserId, limit) => (sent.get(lineUserId) ?? []).slice(-limit),
    addUser(user) {
      created.set(user.lineUserId, user);
    },
    user: (lineUserId) => created.get(lineUserId),
    users: () => [...created.values()],
    addGroup(group) {
      groups.set(group.chatId, group);
    },
    group: (chatId) => groups.get(chatId),
    groups: () => [...groups.values()],
  };
}
