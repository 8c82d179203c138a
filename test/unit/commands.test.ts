import { loadCatalog } from '../../config/catalog';
import { matchCannedReply, parseCommand } from '../../domain/commands';

describe('parseCommand', () => {
  it.each([
    ['ヘルプ', { kind: 'help' }],
    ['ＨＥＬＰ', { kind: 'help' }],
    ['  help  ', { kind: 'help' }],
    ['残高', { kind: 'usage' }],
    ['usage', { kind: 'usage' }],
    ['プロンプト', { kind: 'showPrompt' }],
    ['プロンプトリセット', { kind: 'resetPrompt' }],
    ['リセット', { kind: 'resetConversation' }],
    ['New Chat', { kind: 'resetConversation' }],
    ['購入', { kind: 'buy' }],
    ['buy points_500', { kind: 'buy', productId: 'points_500' }],
    ['購入 tickets_1', { kind: 'buy', productId: 'tickets_1' }],
    ['スタンプ', { kind: 'stampHelp' }],
    ['キャンセル', { kind: 'cancel' }],
  ])('%s → %j', (text, expected) => {
    expect(parseCommand(text)).toEqual(expected);
  });

  it('keeps the prompt text as typed', () => {
    expect(parseCommand('プロンプト設定 あなたは関西弁で話す猫です')).toEqual({
      kind: 'setPrompt',
      prompt: 'あなたは関西弁で話す猫です',
    });
    expect(parseCommand('prompt set You are a Pirate.')).toEqual({
      kind: 'setPrompt',
      prompt: 'You are a Pirate.',
    });
    expect(parseCommand('prompt: Be brief')).toEqual({ kind: 'setPrompt', prompt: 'Be brief' });
  });

  it('treats ordinary messages as chat', () => {
    for (const text of [
      '今日の天気は？',
      'help me write a poem',
      'プロンプト設定',
      'buy me a coffee',
    ]) {
      expect(parseCommand(text)).toBeUndefined();
    }
  });
});

describe('matchCannedReply', () => {
  const canned = loadCatalog().cannedReplies;
  it('answers configured patterns after normalisation', () => {
    expect(matchCannedReply('こんにちは', canned)).toContain('こんにちは');
    expect(matchCannedReply('Hello', canned)).toBeDefined();
    expect(matchCannedReply('ｈｅｌｌｏ', canned)).toBeDefined();
  });
  it('does not match partial text', () => {
    expect(matchCannedReply('こんにちは、質問です', canned)).toBeUndefined();
  });
});
