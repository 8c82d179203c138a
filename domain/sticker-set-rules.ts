/**
 * Set rules of the two stamp modes. Pure.
 *
 *  - `personal`: any count from 1 to 40 (stickers to keep and send, never submitted).
 *  - `creators`: a set LINE Creators Market accepts: 8, 16, 24, 32 or 40 stickers, plus a main
 *    (240×240) and a tab (96×74) image, in a ZIP named `01.png`…`40.png`, `main.png`, `tab.png`.
 *
 * A short Creators Market set is refused, not padded: the user is told how many more texts
 * make the next allowed size (6 texts → "2 more for 8"). Padding by repeating texts was
 * rejected because LINE's review turns down sets with duplicate stickers. A set between two
 * sizes may instead be cut down to the size below (`trimToSetSize`), which the user chooses.
 */

import { MAIN_FILE, TAB_FILE, stickerFileName } from './stamp-keys';
import { ALLOWED_SET_SIZES, type AllowedSetSize } from './sticker-spec';

export const STAMP_MODES = ['personal', 'creators'] as const;
export type StampMode = (typeof STAMP_MODES)[number];

export const PERSONAL_MAX_STICKERS = 40;

export type SetCheck =
  | { ok: true; mode: StampMode; size: number }
  /** `missing` more texts make `nextSize`; `trimTo` is the allowed size below, if any. */
  | {
      ok: false;
      mode: 'creators';
      reason: 'NOT_A_SET_SIZE';
      count: number;
      nextSize: AllowedSetSize;
      missing: number;
      trimTo: AllowedSetSize | null;
    }
  | { ok: false; mode: StampMode; reason: 'EMPTY' | 'TOO_MANY'; count: number; max: number };

/** Whether `count` texts make a set in `mode`, and what to tell the user when they do not. */
export function checkSetSize(mode: StampMode, count: number): SetCheck {
  const max = PERSONAL_MAX_STICKERS;
  if (count < 1) return { ok: false, mode, reason: 'EMPTY', count, max };
  if (count > max) return { ok: false, mode, reason: 'TOO_MANY', count, max };
  if (mode === 'personal') return { ok: true, mode, size: count };
  const nextSize = ALLOWED_SET_SIZES.find((s) => s >= count) ?? 40;
  if (nextSize === count) return { ok: true, mode, size: count };
  const below = ALLOWED_SET_SIZES.filter((s) => s < count);
  return {
    ok: false,
    mode,
    reason: 'NOT_A_SET_SIZE',
    count,
    nextSize,
    missing: nextSize - count,
    trimTo: below.length > 0 ? (below[below.length - 1] ?? null) : null,
  };
}

/** How many more texts `count` needs for a Creators Market set (0 when it is one). */
export function textsNeededForCreators(count: number): number {
  const check = checkSetSize('creators', Math.max(1, count));
  return check.ok ? 0 : check.reason === 'NOT_A_SET_SIZE' ? check.missing : 0;
}

/** The first texts that make the largest allowed size not above their count (null: under 8). */
export function trimToSetSize<T>(texts: readonly T[]): T[] | null {
  const sizes = ALLOWED_SET_SIZES.filter((s) => s <= texts.length);
  const size = sizes[sizes.length - 1];
  return size === undefined ? null : texts.slice(0, size);
}

/** A short message for the user (LINE reply) about a refused set. */
export function setSizeMessage(check: SetCheck): string | null {
  if (check.ok) return null;
  if (check.reason !== 'NOT_A_SET_SIZE') {
    return check.reason === 'EMPTY'
      ? 'メッセージを1つ以上送ってください。'
      : `メッセージは${check.max}個までです（${check.count}個あります）。`;
  }
  const trim = check.trimTo === null ? '' : `、または${check.trimTo}個に減らしてください`;
  return (
    `LINEクリエイターズマーケットのセットは8・16・24・32・40個です。` +
    `あと${check.missing}個メッセージを追加して${check.nextSize}個にする${trim}。`
  );
}

/** The file names of a submission ZIP of `count` stickers, in order: 01.png…, main.png, tab.png. */
export function submissionFileNames(count: number): string[] {
  const names = Array.from({ length: count }, (_, i) => stickerFileName(i + 1));
  return [...names, MAIN_FILE, TAB_FILE];
}
