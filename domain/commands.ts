/**
 * Text commands a LINE user can send (Japanese and English aliases). Pure: text in, command out.
 * Anything that is not a command goes to canned replies, then to the LLM.
 */
export type Command =
  | { kind: 'help' }
  | { kind: 'usage' }
  | { kind: 'showPrompt' }
  | { kind: 'setPrompt'; prompt: string }
  | { kind: 'resetPrompt' }
  | { kind: 'resetConversation' }
  | { kind: 'buy'; productId?: string }
  | { kind: 'stampHelp' }
  | { kind: 'myStamps' }
  | { kind: 'cancel' }
  /** Stripe's customer portal: change or cancel the subscription, payment method, invoices. */
  | { kind: 'managePlan' };

/**
 * 「検索 …」 / `search …`: a question for the web-search tier of the user's plan. Not a
 * `Command`: the model answers it in a charged chat turn (the session passes it as the turn's
 * tier override), so runCommand, which answers without the model, never sees it.
 */
export interface SearchCommand {
  kind: 'search';
  /** As typed (spelling and case kept), without the prefix. */
  question: string;
}

/** What a text may be: a command, a web search, or (undefined) a message for the chat. */
export type ParsedText = Command | SearchCommand;

/** NFKC folds full-width letters and spaces (ｈｅｌｐ, U+3000) so aliases match as typed on phones. */
export function normalizeText(text: string): string {
  return text.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
}

const exact: Record<string, Command> = {};
function alias(command: Command, ...words: string[]): void {
  for (const w of words) exact[normalizeText(w)] = command;
}
alias({ kind: 'help' }, 'ヘルプ', '使い方', 'help', '/help', '?', '？');
alias({ kind: 'usage' }, '残高', 'ポイント', '利用状況', 'balance', 'usage', '/balance', '/usage');
alias({ kind: 'showPrompt' }, 'プロンプト', 'prompt', '/prompt');
alias(
  { kind: 'resetPrompt' },
  'プロンプトリセット',
  'プロンプト リセット',
  'prompt reset',
  '/prompt reset',
);
alias(
  { kind: 'resetConversation' },
  'リセット',
  '会話リセット',
  '新しい会話',
  'reset',
  'new chat',
  '/reset',
);
alias({ kind: 'buy' }, '購入', 'チャージ', 'buy', '/buy');
alias({ kind: 'stampHelp' }, 'スタンプ', 'スタンプ作成', 'stamp', 'sticker', '/stamp');
alias(
  { kind: 'myStamps' },
  'マイスタンプ',
  'スタンプ一覧',
  'my stamps',
  'my stickers',
  'mystamps',
  '/mystamps',
);
alias({ kind: 'cancel' }, 'キャンセル', '取り消し', 'cancel', '/cancel');
alias(
  { kind: 'managePlan' },
  'プラン管理',
  'プラン変更',
  'プラン解約',
  'plan',
  '/plan',
  'manage plan',
);

const setPromptPrefixes = [
  'プロンプト設定',
  'プロンプト変更',
  'prompt set',
  '/prompt set',
  'prompt:',
];
const buyPrefixes = ['購入', 'buy', '/buy'];
/** Followed by a space (NFKC makes U+3000 one) or a colon, so 「検索エンジンとは」 stays chat. */
const searchPrefixes = ['検索', 'search', '/search'];

export function parseCommand(text: string): ParsedText | undefined {
  const normalized = normalizeText(text);
  const hit = exact[normalized];
  if (hit) return hit;

  // The prompt keeps the user's original spelling and case; only the prefix is matched loosely.
  const original = text.normalize('NFKC').trim();
  for (const prefix of setPromptPrefixes) {
    if (
      normalized.startsWith(`${prefix} `) ||
      (prefix.endsWith(':') && normalized.startsWith(prefix))
    ) {
      const prompt = original
        .slice(prefix.length)
        .replace(/^[\s:：]+/, '')
        .trim();
      if (prompt) return { kind: 'setPrompt', prompt };
    }
  }
  for (const prefix of buyPrefixes) {
    const m = new RegExp(`^${prefix.replace('/', '\\/')} ([a-z0-9_]+)$`).exec(normalized);
    if (m) return { kind: 'buy', productId: m[1] };
  }
  for (const prefix of searchPrefixes) {
    if (!normalized.startsWith(prefix) || !/^[ :]/.test(normalized.slice(prefix.length))) continue;
    const question = original
      .slice(prefix.length)
      .replace(/^[\s:：]+/, '')
      .trim();
    if (question) return { kind: 'search', question };
  }
  return undefined;
}

/** Canned replies (seed 002 定型文): exact match after normalisation, free of points and limits. */
export function matchCannedReply(
  text: string,
  canned: ReadonlyArray<{ patterns: readonly string[]; reply: string }>,
): string | undefined {
  const normalized = normalizeText(text);
  return canned.find((c) => c.patterns.some((p) => normalizeText(p) === normalized))?.reply;
}
