import { parseModeField, parseStyleField, storedStyle } from '../../domain/stamp-options';
import { DEFAULT_STICKER_STYLE, STYLE_PRESETS } from '../../domain/sticker-style';

describe('stamp options (HTTP form fields)', () => {
  it('style: absent is the card; a look name is its preset; JSON is validated and completed', () => {
    expect(parseStyleField(undefined)).toEqual({ ok: true, value: DEFAULT_STICKER_STYLE });
    expect(parseStyleField('')).toEqual({ ok: true, value: DEFAULT_STICKER_STYLE });
    expect(parseStyleField('bubble')).toEqual({ ok: true, value: STYLE_PRESETS.bubble });
    expect(parseStyleField(' {"look":"bold","caption":"top","textColor":"#FFCC00"} ')).toEqual({
      ok: true,
      value: { ...STYLE_PRESETS.bold, caption: 'top', textColor: '#ffcc00' },
    });
  });

  it.each([
    ['sparkly', /a look/],
    ['{"look":', /not valid JSON/],
    ['{"look":"card","textColor":"red"}', /textColor/],
    ['{"look":"card","font":"x"}', /font|unrecognized/i],
    ['["card"]', /a look/],
  ])('style %j is refused with a reason', (value, reason) => {
    const parsed = parseStyleField(value);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });

  it('style: a repeated field is refused', () => {
    expect(parseStyleField(['card', 'bold']).ok).toBe(false);
  });

  it('mode: absent is personal; personal and creators; anything else refused', () => {
    expect(parseModeField(undefined)).toEqual({ ok: true, value: 'personal' });
    expect(parseModeField('creators')).toEqual({ ok: true, value: 'creators' });
    expect(parseModeField('personal')).toEqual({ ok: true, value: 'personal' });
    expect(parseModeField('Creators').ok).toBe(false);
    expect(parseModeField(['creators']).ok).toBe(false);
  });

  it('a stored style: NULL (jobs from before styles) is the card; a corrupt one is null', () => {
    expect(storedStyle(null)).toEqual(DEFAULT_STICKER_STYLE);
    expect(storedStyle({ ...STYLE_PRESETS.circle })).toEqual(STYLE_PRESETS.circle);
    expect(storedStyle({ look: 'hexagon' })).toBeNull();
  });
});
