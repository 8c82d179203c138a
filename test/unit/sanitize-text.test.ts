import { LINE_TEXT_MAX_LENGTH, sanitizeText } from '../../domain/sanitize-text';
import { isInbound, toInboundEvent } from '../../domain/line-events';
import { textEvent } from '../support/line-webhook';

describe('sanitizeText', () => {
  it('removes NUL and the other C0/C1 controls, keeping line breaks and tabs', () => {
    expect(sanitizeText('abc\u0000def')).toBe('abcdef');
    expect(sanitizeText('a\u0001b\u001Fc\u007Fd\u0085e\u009Ff')).toBe('abcdef');
    expect(sanitizeText('one\ntwo\tthree\r\n')).toBe('one\ntwo\tthree\n');
  });

  it('replaces lone surrogates and keeps pairs', () => {
    expect(sanitizeText('a\uD800b')).toBe('a\uFFFDb');
    expect(sanitizeText('a\uDC00b')).toBe('a\uFFFDb');
    expect(sanitizeText('end\uD83D')).toBe('end\uFFFD');
    expect(sanitizeText('😀 絵文字 ok')).toBe('😀 絵文字 ok');
    // The output encodes to UTF-8 and back unchanged.
    const out = sanitizeText('x\uDE00\uD83D\uDE00\uD83Dy');
    expect(Buffer.from(out, 'utf8').toString('utf8')).toBe(out);
  });

  it("caps the length at LINE's 5000 UTF-16 units without splitting a pair", () => {
    expect(sanitizeText('あ'.repeat(6000))).toHaveLength(LINE_TEXT_MAX_LENGTH);
    const cut = sanitizeText('a' + '😀'.repeat(3000));
    expect(cut.length).toBe(LINE_TEXT_MAX_LENGTH - 1);
    expect(cut.endsWith('😀')).toBe(true);
    expect(sanitizeText('abcdef', 3)).toBe('abc');
  });

  it('leaves ordinary text alone', () => {
    const text = '今日の天気を教えて！ Hello, world.';
    expect(sanitizeText(text)).toBe(text);
  });
});

describe('intake', () => {
  it('sanitises a text message when the LINE event is mapped', () => {
    const event = toInboundEvent(textEvent('U' + 'a'.repeat(32), 'abc\u0000def\uD800'));
    expect(isInbound(event) && event.type === 'text' && event.text).toBe('abcdef\uFFFD');
  });
});
