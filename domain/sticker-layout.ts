/**
 * Sticker layout decisions: canvas geometry, photo box, and how a short message is broken
 * into lines and sized. Pure (no I/O, no Node imports), so it can be unit-tested exhaustively;
 * `lib/stickers/render.ts` turns these decisions into pixels and only corrects for the real
 * ink size measured after rendering.
 *
 * Typography. Text is set in Noto Sans JP Black (see `lib/stickers/font.ts`); where lines may
 * break (BudouX phrases + kinsoku) is decided in `sticker-line-breaks.ts`.
 *
 * Message length. `DESIGN_MAX_MESSAGE_CHARS` (16) is the longest message that is still set at
 * ≥ 36 px (2 lines of 8 full-width characters at about 42 px) on a 370×320 sticker: LINE shows
 * stickers at roughly half size, and below ~36 px the Black weight with its outline gets muddy.
 * Longer text is still rendered (smaller), but intake should reject it
 * (`config/catalog.json` → `stamp.maxMessageLength`).
 */

import {
  MAIN_IMAGE_HEIGHT,
  MAIN_IMAGE_WIDTH,
  STICKER_MARGIN,
  STICKER_MAX_HEIGHT,
  STICKER_MAX_WIDTH,
  TAB_IMAGE_HEIGHT,
  TAB_IMAGE_WIDTH,
  type StickerImageKind,
} from './sticker-spec';
import {
  FORBIDDEN,
  WORD_SPLIT,
  splitGraphemes,
  splitIntoLines,
  type LineSplit,
} from './sticker-line-breaks';

export {
  breakPenalties,
  graphemeWidthEm,
  isEmojiGrapheme,
  splitGraphemes,
  splitIntoLines,
  type LineSplit,
} from './sticker-line-breaks';

export const DESIGN_MAX_MESSAGE_CHARS = 16;

export interface Size {
  width: number;
  height: number;
}

export interface Rect extends Size {
  left: number;
  top: number;
}

export interface TextRules {
  maxFontPx: number;
  minFontPx: number;
  maxLines: number;
  /** The text block may take at most this share of the content height. */
  maxHeightRatio: number;
  /** Share of the text block that overlaps the photo's bottom edge. */
  photoOverlap: number;
}

export interface CanvasSpec extends Size {
  kind: StickerImageKind;
  margin: number;
  /** White outline around the photo, in px. */
  border: number;
  /** Corner radius of the outline's outer edge, in px. */
  cornerRadius: number;
  /** null: this image never carries text. */
  text: TextRules | null;
}

export const STICKER_CANVAS: Readonly<CanvasSpec> = Object.freeze({
  kind: 'sticker',
  width: STICKER_MAX_WIDTH,
  height: STICKER_MAX_HEIGHT,
  margin: STICKER_MARGIN,
  border: 6,
  cornerRadius: 30,
  text: {
    maxFontPx: 64,
    minFontPx: 26,
    maxLines: 3,
    maxHeightRatio: 0.45,
    photoOverlap: 0.5,
  },
});

export const MAIN_CANVAS: Readonly<CanvasSpec> = Object.freeze({
  kind: 'main',
  width: MAIN_IMAGE_WIDTH,
  height: MAIN_IMAGE_HEIGHT,
  margin: STICKER_MARGIN,
  border: 5,
  cornerRadius: 24,
  text: {
    maxFontPx: 44,
    minFontPx: 18,
    maxLines: 2,
    maxHeightRatio: 0.42,
    photoOverlap: 0.5,
  },
});

export const TAB_CANVAS: Readonly<CanvasSpec> = Object.freeze({
  kind: 'tab',
  width: TAB_IMAGE_WIDTH,
  height: TAB_IMAGE_HEIGHT,
  // A 10 px margin would leave a 76×54 photo in a 96×74 tab: the tab is an icon, keep it full.
  margin: 2,
  border: 2,
  cornerRadius: 12,
  text: null,
});

export const CANVASES: Readonly<Record<StickerImageKind, Readonly<CanvasSpec>>> = Object.freeze({
  sticker: STICKER_CANVAS,
  main: MAIN_CANVAS,
  tab: TAB_CANVAS,
});

/** Font metrics of Noto Sans JP Black (hhea ascender 1.16 em + descender 0.288 em). */
export const FONT_METRICS = Object.freeze({
  /** Pango `line_height` factor applied to the font's natural 1.448 em line. */
  lineHeightFactor: 0.85,
  /** Baseline-to-baseline distance in em with that factor. */
  linePitchEm: 1.448 * 0.85,
  /** Height of the inked part of one line of kana/kanji, in em. */
  inkHeightEm: 0.92,
  /** Outline stroke width as a share of the font size. */
  strokeEm: 0.14,
  minStrokePx: 2,
});

/**
 * Canonical form of a message for rendering: NFC, CR/LF → LF, tabs and other spaces → one
 * ASCII space, control and format characters removed (except ZWJ and variation selectors,
 * which belong to a grapheme), each line trimmed, empty lines dropped.
 */
export function normalizeStickerText(text: string): string {
  return text
    .normalize('NFC')
    .replace(/\r\n?/g, '\n')
    .replace(/[^\S\n\u3000]+/gu, ' ')
    .replace(/(?![\n\u200d])[\p{Cc}\p{Cf}]/gu, '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .join('\n');
}

/** User-perceived characters of a message (graphemes, line breaks not counted). */
export function countStickerChars(text: string): number {
  return splitGraphemes(normalizeStickerText(text).replace(/\n/g, '')).length;
}

// ---------------------------------------------------------------------------------------------
// Text plan

export interface TextPlan {
  /** The normalised message. */
  text: string;
  lines: string[];
  fontPx: number;
  strokePx: number;
  /** Pango line-height factor to render with. */
  lineHeightFactor: number;
  /** Estimated size of the inked block including the outline stroke. */
  estimatedWidthPx: number;
  estimatedHeightPx: number;
  /** The box the rendered block must fit in (the renderer shrinks the font if it does not). */
  maxWidthPx: number;
  maxHeightPx: number;
}

export function strokeFor(fontPx: number): number {
  return Math.max(FONT_METRICS.minStrokePx, Math.round(fontPx * FONT_METRICS.strokeEm));
}

export function blockHeightEm(lines: number): number {
  return (
    (lines - 1) * FONT_METRICS.linePitchEm + FONT_METRICS.inkHeightEm + 2 * FONT_METRICS.strokeEm
  );
}

export function contentSize(canvas: CanvasSpec): Size {
  return { width: canvas.width - 2 * canvas.margin, height: canvas.height - 2 * canvas.margin };
}

export function maxTextHeight(canvas: CanvasSpec, rules: TextRules): number {
  return Math.floor(contentSize(canvas).height * rules.maxHeightRatio);
}

/**
 * Decide lines and font size for a message on a canvas: the number of lines (1..maxLines)
 * that gives the largest font, preferring fewer lines unless more lines grow the font by
 * more than 10 %. Returns null for an empty message or a canvas without text.
 */
export function planStickerText(text: string, canvas: CanvasSpec): TextPlan | null {
  const rules = canvas.text;
  const normalized = normalizeStickerText(text);
  if (rules === null || normalized.length === 0) return null;
  const { width: maxW } = contentSize(canvas);
  const maxH = maxTextHeight(canvas, rules);
  const s = FONT_METRICS.strokeEm;

  const paragraphs = normalized.split('\n').length;
  const firstCount = paragraphs <= rules.maxLines ? paragraphs : 1;
  let chosen: { split: LineSplit; font: number } | null = null;
  for (let count = firstCount; count <= rules.maxLines; count++) {
    const byHeight = maxH / blockHeightEm(count);
    const capFont = Math.min(rules.maxFontPx, byHeight);
    const capEm = maxW / capFont - 2 * s;
    const split = splitIntoLines(normalized, count, capEm);
    if (split === null || split.penalty >= FORBIDDEN) continue;
    const font = Math.min(capFont, maxW / (split.maxWidthEm + 2 * s));
    // More lines must buy a clearly bigger font; splitting a Latin word is a last resort.
    const better =
      chosen === null ||
      (split.penalty >= WORD_SPLIT
        ? chosen.font < rules.minFontPx && font > chosen.font
        : font > chosen.font * 1.1);
    if (better) chosen = { split, font };
  }
  if (chosen === null) {
    // Every split breaks a kinsoku rule: fall back to the explicit lines or a single line.
    const split = splitIntoLines(normalized, firstCount);
    if (split === null) return null;
    chosen = { split, font: Math.min(rules.maxFontPx, maxW / (split.maxWidthEm + 2 * s)) };
  }
  const fontPx = Math.max(rules.minFontPx, Math.floor(chosen.font));
  const strokePx = strokeFor(fontPx);
  return {
    text: normalized,
    lines: chosen.split.lines,
    fontPx,
    strokePx,
    lineHeightFactor: FONT_METRICS.lineHeightFactor,
    estimatedWidthPx: Math.ceil(chosen.split.maxWidthEm * fontPx + 2 * strokePx),
    estimatedHeightPx: Math.ceil(blockHeightEm(chosen.split.lines.length) * fontPx),
    maxWidthPx: maxW,
    maxHeightPx: maxH,
  };
}

/**
 * The font size to retry with when the rendered block (`actual`, stroke included) overflows
 * the plan's box; null when it fits.
 */
export function shrinkToFit(plan: TextPlan, actual: Size): number | null {
  const scale = Math.min(plan.maxWidthPx / actual.width, plan.maxHeightPx / actual.height);
  if (scale >= 1) return null;
  return Math.max(4, Math.floor(plan.fontPx * scale * 0.98));
}

// ---------------------------------------------------------------------------------------------
// Geometry

export interface PhotoBox extends Rect {
  /** Corner radius of the outer (outline) edge. */
  radius: number;
  /** White outline width. */
  border: number;
}

/**
 * Where the photo goes for a message of `lineCount` lines (0 = no text). It depends on the line
 * count only, so a prepared photo can be cut once per count and reused for a whole set.
 */
export function photoBoxFor(canvas: CanvasSpec, lineCount: number): PhotoBox {
  const content = contentSize(canvas);
  let reserve = 0;
  const rules = canvas.text;
  if (rules !== null && lineCount > 0) {
    const lines = Math.min(lineCount, rules.maxLines);
    const tallest = Math.min(maxTextHeight(canvas, rules), blockHeightEm(lines) * rules.maxFontPx);
    reserve = Math.round(tallest * (1 - rules.photoOverlap));
  }
  return {
    left: canvas.margin,
    top: canvas.margin,
    width: content.width,
    height: content.height - reserve,
    radius: canvas.cornerRadius,
    border: canvas.border,
  };
}

export interface StickerLayout extends Size {
  photo: PhotoBox;
  /** The area the text block is centred in horizontally and bottom-aligned to; null: no text. */
  text: Rect | null;
}

export function layoutSticker(canvas: CanvasSpec, plan: TextPlan | null): StickerLayout {
  const photo = photoBoxFor(canvas, plan?.lines.length ?? 0);
  let text: Rect | null = null;
  if (plan !== null) {
    text = {
      left: canvas.margin,
      top: canvas.height - canvas.margin - plan.maxHeightPx,
      width: plan.maxWidthPx,
      height: plan.maxHeightPx,
    };
  }
  return { width: canvas.width, height: canvas.height, photo, text };
}

/**
 * Top-left corner for a rendered block of `size` in the text rect: centred horizontally,
 * bottom-aligned, clamped inside the rect.
 */
export function placeTextBlock(rect: Rect, size: Size): { left: number; top: number } {
  const left = rect.left + Math.max(0, Math.floor((rect.width - size.width) / 2));
  const top = rect.top + Math.max(0, rect.height - size.height);
  return { left, top };
}
