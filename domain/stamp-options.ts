/**
 * The choices a stamp job is made with, as a client sends them (HTTP form fields): the sticker
 * style and the set mode. Pure: parsing and refusal reasons; the renderer and the set rules
 * live in domain/sticker-style.ts and domain/sticker-set-rules.ts.
 */

import {
  DEFAULT_STICKER_STYLE,
  STICKER_LOOKS,
  safeParseStickerStyle,
  type StickerLook,
  type StickerStyle,
} from './sticker-style';
import { STAMP_MODES, type StampMode } from './sticker-set-rules';

export type OptionResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/**
 * `style` is absent (the card), a look name (`bubble`), or a JSON object
 * (`{"look":"bold","caption":"top"}`); anything else is refused with the validator's reason.
 */
export function parseStyleField(value: unknown): OptionResult<StickerStyle> {
  if (value === undefined || value === '') return { ok: true, value: DEFAULT_STICKER_STYLE };
  if (typeof value !== 'string') return { ok: false, reason: 'style: send one text field' };
  const text = value.trim();
  let input: unknown;
  if (text.startsWith('{')) {
    try {
      input = JSON.parse(text);
    } catch {
      return { ok: false, reason: 'style: not valid JSON' };
    }
  } else if ((STICKER_LOOKS as readonly string[]).includes(text)) {
    input = { look: text as StickerLook };
  } else {
    return {
      ok: false,
      reason: `style: a look (${STICKER_LOOKS.join(', ')}) or a JSON object`,
    };
  }
  const parsed = safeParseStickerStyle(input);
  return parsed.ok
    ? { ok: true, value: parsed.style }
    : { ok: false, reason: parsed.issues.join('; ') };
}

/** `mode` is absent (personal), `personal` or `creators`. */
export function parseModeField(value: unknown): OptionResult<StampMode> {
  if (value === undefined || value === '') return { ok: true, value: 'personal' };
  if (typeof value === 'string' && (STAMP_MODES as readonly string[]).includes(value)) {
    return { ok: true, value: value as StampMode };
  }
  return { ok: false, reason: `mode: one of ${STAMP_MODES.join(', ')}` };
}

/**
 * The style a stored job is drawn in: the row's `style` column (validated at intake), or the
 * card for jobs recorded before styles existed. Null when the stored value no longer parses.
 */
export function storedStyle(value: unknown): StickerStyle | null {
  if (value === null || value === undefined) return DEFAULT_STICKER_STYLE;
  const parsed = safeParseStickerStyle(value);
  return parsed.ok ? parsed.style : null;
}
