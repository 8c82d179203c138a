import {
  describeProblems,
  splitStampLines,
  validateStampMessages,
} from '../../domain/stamp-messages';
import { findUnsupportedCharacters } from '../../lib/stickers/font';

const limits = { maxMessages: 40, maxMessageLength: 16 };
const fontCheck = (t: string) => findUnsupportedCharacters(t);

describe('splitStampLines', () => {
  it('takes one message per line, trimmed, blank lines dropped', () => {
    expect(splitStampLines('ありがとう\nおつかれさま\r\n\n  よろしくね  \r了解')).toEqual([
      'ありがとう',
      'おつかれさま',
      'よろしくね',
      '了解',
    ]);
    expect(splitStampLines('')).toEqual([]);
    expect(splitStampLines('\n \n\u3000\n')).toEqual([]);
  });
});

describe('validateStampMessages', () => {
  it('accepts 1..40 messages and returns them normalised, in order', () => {
    const r = validateStampMessages(['ありがとう', '  OK!  ', 'ｱﾘｶﾞﾄ'], limits, fontCheck);
    expect(r).toEqual({ ok: true, messages: ['ありがとう', 'OK!', 'ｱﾘｶﾞﾄ'] });
    const forty = Array.from({ length: 40 }, (_, i) => `スタンプ${i + 1}`);
    expect(validateStampMessages(forty, limits, fontCheck)).toEqual({ ok: true, messages: forty });
  });

  it('refuses no messages and more than 40', () => {
    const none = validateStampMessages([], limits);
    expect(none.ok).toBe(false);
    expect(!none.ok && none.problems[0]).toMatchObject({ code: 'NO_MESSAGES', max: 40 });
    const many = validateStampMessages(
      Array.from({ length: 41 }, () => 'はい'),
      limits,
    );
    expect(!many.ok && many.problems[0]).toMatchObject({
      code: 'TOO_MANY_MESSAGES',
      count: 41,
      max: 40,
    });
    expect(!many.ok && many.problems[0]?.message).toContain('41');
  });

  it('counts user-perceived characters: 16 is allowed, 17 is not', () => {
    const sixteen = 'あ'.repeat(16);
    expect(validateStampMessages([sixteen], limits).ok).toBe(true);
    // An emoji with a skin tone is one character, as the user sees it.
    expect(validateStampMessages(['👍🏽'.repeat(16)], limits).ok).toBe(true);
    const r = validateStampMessages(['ok', 'あ'.repeat(17)], limits);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.problems).toEqual([
      expect.objectContaining({ code: 'MESSAGE_TOO_LONG', index: 1, count: 17, max: 16 }),
    ]);
    expect(!r.ok && r.problems[0]?.message).toMatch(/^2個目/);
  });

  it('refuses empty messages (also ones that are only spaces or control characters)', () => {
    const r = validateStampMessages(['', '   ', '\u200b', 'はい'], limits);
    expect(!r.ok && r.problems.map((p) => [p.code, p.index])).toEqual([
      ['EMPTY_MESSAGE', 0],
      ['EMPTY_MESSAGE', 1],
      ['EMPTY_MESSAGE', 2],
    ]);
  });

  it('refuses a pasted novel without measuring it', () => {
    const r = validateStampMessages(['あ'.repeat(100_000)], limits);
    expect(!r.ok && r.problems[0]?.code).toBe('MESSAGE_TOO_LONG');
  });

  it('refuses characters the sticker font cannot draw, naming them', () => {
    const r = validateStampMessages(['やったー\uE000', '普通'], limits, fontCheck);
    expect(!r.ok && r.problems).toEqual([
      expect.objectContaining({ code: 'UNSUPPORTED_CHARACTERS', index: 0, characters: '\uE000' }),
    ]);
  });

  it('joins the problems into one reply, bounded', () => {
    const r = validateStampMessages(
      Array.from({ length: 8 }, () => ''),
      limits,
    );
    expect(r.ok).toBe(false);
    const text = describeProblems(!r.ok ? r.problems : [], 5);
    expect(text.split('\n')).toHaveLength(6);
    expect(text).toContain('ほか3件');
  });
});
