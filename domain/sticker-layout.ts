/**
 * Sticker layout decisions: canvas geometry, photo box, and how a short message is broken
 * into lines and sized. Pure (no I/O, no Node imports), so it can be unit-tested exhaustively;
 * `lib/stickers/render.ts` turns these decisions into pixels and only corrects for the real
 * ink size measured after rendering.
 *
 * Typography. Text is set in Noto Sans JP Black (see `lib/stickers/font.ts`); widths below are
 * that font's advance widths in em. Japanese has no spaces, so lines are broken by:
 *  - kinsoku rules: no line starts with closing brackets, small kana, 「ー」, 。、！？ etc.,
 *    and no line ends with an opening bracket; ASCII words and numbers are not split;
 *  - a preference for phrase boundaries (ICU word segmentation via `Intl.Segmenter`,
 *    punctuation, spaces, hiragana→kanji/katakana transitions);
 *  - balance: the split that minimises the longest line (the font size follows from it).
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
  text: { maxFontPx: 64, minFontPx: 26, maxLines: 3, maxHeightRatio: 0.45, photoOverlap: 0.5 },
});

export const MAIN_CANVAS: Readonly<CanvasSpec> = Object.freeze({
  kind: 'main',
  width: MAIN_IMAGE_WIDTH,
  height: MAIN_IMAGE_HEIGHT,
  margin: STICKER_MARGIN,
  border: 5,
  cornerRadius: 24,
  text: { maxFontPx: 44, minFontPx: 18, maxLines: 2, maxHeightRatio: 0.42, photoOverlap: 0.5 },
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

/** Advance widths (em) of printable ASCII in Noto Sans JP Black, from its hmtx table. */
// prettier-ignore
const ASCII_EM: Readonly<Record<string, number>> = Object.freeze({
  ' ': 0.229, '!': 0.397, '"': 0.631, '#': 0.609, $: 0.609, '%': 0.986, '&': 0.773, "'": 0.351,
  '(': 0.4, ')': 0.4, '*': 0.529, '+': 0.609, ',': 0.351, '-': 0.383, '.': 0.351, '/': 0.385,
  '0': 0.609, '1': 0.609, '2': 0.609, '3': 0.609, '4': 0.609, '5': 0.609, '6': 0.609,
  '7': 0.609, '8': 0.609, '9': 0.609, ':': 0.351, ';': 0.351, '<': 0.609, '=': 0.609, '>': 0.609, '?': 0.536, '@': 1.041,
  A: 0.66, B: 0.695, C: 0.667, D: 0.729, E: 0.63, F: 0.604, G: 0.733, H: 0.774, I: 0.35,
  J: 0.586, K: 0.708, L: 0.598, M: 0.877, N: 0.764, O: 0.786, P: 0.687, Q: 0.786, R: 0.708,
  S: 0.639, T: 0.64, U: 0.763, V: 0.643, W: 0.935, X: 0.657, Y: 0.608, Z: 0.619, '[': 0.4,
  '\\': 0.385, ']': 0.4, '^': 0.609, _: 0.572, '`': 0.637, a: 0.606, b: 0.658, c: 0.537,
  d: 0.658, e: 0.596, f: 0.398, g: 0.616, h: 0.658, i: 0.321, j: 0.323, k: 0.634, l: 0.332,
  m: 0.985, n: 0.658, o: 0.637, p: 0.658, q: 0.658, r: 0.464, s: 0.51, t: 0.445, u: 0.654,
  v: 0.607, w: 0.897, x: 0.598, y: 0.604, z: 0.532, '{': 0.4, '|': 0.311, '}': 0.4, '~': 0.609,
});

/** Estimated advance width of one grapheme, in em. */
export function graphemeWidthEm(g: string): number {
  const ascii = ASCII_EM[g];
  if (ascii !== undefined) return ascii;
  const cp = g.codePointAt(0) ?? 0;
  if (cp >= 0xff61 && cp <= 0xff9f) return 0.5; // half-width katakana and punctuation
  if (cp >= 0x00a0 && cp < 0x0370) return 0.6; // Latin-1 / Latin Extended
  if (cp >= 0x0370 && cp < 0x0530) return 0.65; // Greek, Cyrillic
  if (cp === 0x3000) return 1; // ideographic space
  if (/\s/u.test(g)) return 0.229;
  return 1; // kana, kanji, full-width forms, CJK punctuation, symbols
}

const graphemeSegmenter = new Intl.Segmenter('ja', { granularity: 'grapheme' });
const wordSegmenter = new Intl.Segmenter('ja', { granularity: 'word' });

export function splitGraphemes(text: string): string[] {
  return Array.from(graphemeSegmenter.segment(text), (s) => s.segment);
}

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
// Line breaking

/** May not begin a line (closing brackets, small kana, prolonged sound mark, punctuation). */
const NO_START = new Set(
  Array.from(
    '）〕］｝〉》」』】〙〗〟’”｠»)]}' +
      'ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ' +
      'ゝゞヽヾ々〻ー‐゠–〜～' +
      '？！?!‼⁇⁈⁉・：；:;/。.、,，．｡､ﾞﾟｰｧｨｩｪｫｯｬｭｮ…‥%％',
  ),
);
/** May not end a line (opening brackets, currency prefixes). */
const NO_END = new Set(Array.from('（〔［｛〈《「『【〘〖〝‘“｟«([{＄￥$¥£€#＃'));
/** A break right after these reads naturally. */
const GOOD_END = new Set(Array.from('、。，．！？!?,.…♪♡♥☆★〜～'));

/** Latin words and numbers (half- or full-width digits) are not split. */
const LATIN_WORD = /^[\p{Script=Latin}\p{Nd}_'’&@.-]$/u;
const HIRAGANA = /^\p{Script=Hiragana}/u;
const KANJI_OR_KATAKANA = /^[\p{Script=Han}\p{Script=Katakana}]/u;
const KANJI = /^\p{Script=Han}/u;

/** Inflections and auxiliaries that read badly at the start of a line after a hiragana. */
const AUXILIARY_START =
  /^(ます|まし|ませ|した|して|しま|たい|ない|なか|です|でし|ちゃ|って|れる|られ|せる)/u;

const FORBIDDEN = 1000;
const ASCII_SPLIT = 20;

/**
 * Penalty for breaking before grapheme `i` (1 ≤ i < n): ≥ FORBIDDEN breaks a kinsoku rule,
 * ASCII_SPLIT splits a Latin word or a number, small values express taste (negative = good).
 */
export function breakPenalties(graphemes: readonly string[]): number[] {
  const text = graphemes.join('');
  // Word boundaries as grapheme indices.
  const wordStarts = new Set<number>();
  let offset = 0;
  const graphemeAt = new Map<number, number>();
  graphemes.forEach((g, i) => {
    graphemeAt.set(offset, i);
    offset += g.length;
  });
  for (const seg of wordSegmenter.segment(text)) {
    const gi = graphemeAt.get(seg.index);
    if (gi !== undefined) wordStarts.add(gi);
  }
  const out: number[] = [0];
  for (let i = 1; i < graphemes.length; i++) {
    const prev = graphemes[i - 1] ?? '';
    const next = graphemes[i] ?? '';
    let p = 0;
    if (prev === ' ' || next === ' ') {
      p = -2;
    } else if (NO_START.has(next) || NO_END.has(prev)) {
      p = FORBIDDEN;
    } else if (LATIN_WORD.test(prev) && LATIN_WORD.test(next)) {
      p = ASCII_SPLIT;
    } else {
      const wordStart = wordStarts.has(i);
      if (GOOD_END.has(prev)) p -= 1;
      if (!wordStart) p += 3;
      else if (HIRAGANA.test(prev) && KANJI_OR_KATAKANA.test(next)) p -= 0.5;
      else if (KANJI.test(prev) && HIRAGANA.test(next)) p += 0.5;
      // ICU often cuts verb endings off their stem (了解しま|した): do not start a line there.
      if (HIRAGANA.test(prev) && AUXILIARY_START.test(graphemes.slice(i, i + 3).join(''))) p += 2;
    }
    out.push(p);
  }
  return out;
}

function lineWidthEm(graphemes: readonly string[], from: number, to: number): number {
  let a = from;
  let b = to;
  while (a < b && graphemes[a] === ' ') a++;
  while (b > a && graphemes[b - 1] === ' ') b--;
  let w = 0;
  for (let i = a; i < b; i++) w += graphemeWidthEm(graphemes[i] ?? '');
  return w;
}

function lineText(graphemes: readonly string[], from: number, to: number): string {
  return graphemes.slice(from, to).join('').trim();
}

export interface LineSplit {
  lines: string[];
  /** Width of each line, in em. */
  widthsEm: number[];
  /** Width of the longest line, in em. */
  maxWidthEm: number;
  /** Sum of the break penalties used. */
  penalty: number;
}

/** Weight of one penalty point against one em of line width. */
const PENALTY_WEIGHT = 0.5;
/** Weight of the difference between the longest and the shortest line (a tie-breaker). */
const IMBALANCE_WEIGHT = 0.05;

/**
 * Cost of a split: lines narrower than `capEm` are free (the font size is bound by something
 * else then, e.g. the height), so the break penalties decide between such splits.
 */
function splitCost(split: LineSplit, capEm: number): number {
  const min = Math.min(...split.widthsEm);
  return (
    Math.max(split.maxWidthEm, capEm) +
    PENALTY_WEIGHT * split.penalty +
    IMBALANCE_WEIGHT * (split.maxWidthEm - min)
  );
}

function makeSplit(
  graphemes: readonly string[],
  cuts: readonly number[],
  pen: readonly number[],
): LineSplit | null {
  const bounds = [0, ...cuts, graphemes.length];
  const lines: string[] = [];
  const widthsEm: number[] = [];
  for (let k = 0; k + 1 < bounds.length; k++) {
    const from = bounds[k] ?? 0;
    const to = bounds[k + 1] ?? 0;
    const w = lineWidthEm(graphemes, from, to);
    if (w === 0) return null; // a line of spaces only
    lines.push(lineText(graphemes, from, to));
    widthsEm.push(w);
  }
  let penalty = 0;
  for (const c of cuts) penalty += pen[c] ?? 0;
  return { lines, widthsEm, maxWidthEm: Math.max(...widthsEm), penalty };
}

/** Best split of one paragraph into exactly `count` (1..3) non-empty lines, or null. */
function splitParagraph(
  graphemes: readonly string[],
  count: number,
  capEm: number,
): LineSplit | null {
  const n = graphemes.length;
  if (count < 1 || count > 3 || n < count) return null;
  const pen = count > 1 ? breakPenalties(graphemes) : [];
  const candidates: number[][] = [];
  if (count === 1) candidates.push([]);
  if (count === 2) for (let a = 1; a < n; a++) candidates.push([a]);
  if (count === 3) {
    for (let a = 1; a < n - 1; a++) for (let b = a + 1; b < n; b++) candidates.push([a, b]);
  }
  let best: LineSplit | null = null;
  let bestCost = Infinity;
  for (const cuts of candidates) {
    const split = makeSplit(graphemes, cuts, pen);
    if (split === null) continue;
    const cost = splitCost(split, capEm);
    if (cost < bestCost - 1e-9) {
      best = split;
      bestCost = cost;
    }
  }
  return best;
}

/**
 * Best split of a (normalised) message into exactly `count` lines (at most 3). Explicit line
 * breaks are kept when there are at most `count` of them; otherwise they are reflowed.
 * `capEm`: line width (em) below which narrower lines do not make the text bigger.
 */
export function splitIntoLines(text: string, count: number, capEm = 0): LineSplit | null {
  let paragraphs = text.split('\n').filter((p) => p.length > 0);
  if (paragraphs.length === 0) return null;
  if (paragraphs.length > count) paragraphs = [paragraphs.join(' ')];
  const graphemes = paragraphs.map(splitGraphemes);
  let best: LineSplit | null = null;
  let bestCost = Infinity;
  // Distribute `count` lines over the paragraphs (each gets at least one); try them all.
  const distribute = (i: number, left: number, acc: LineSplit[]): void => {
    if (i === graphemes.length) {
      if (left !== 0) return;
      const widthsEm = acc.flatMap((x) => x.widthsEm);
      const merged: LineSplit = {
        lines: acc.flatMap((x) => x.lines),
        widthsEm,
        maxWidthEm: Math.max(...widthsEm),
        penalty: acc.reduce((sum, x) => sum + x.penalty, 0),
      };
      const cost = splitCost(merged, capEm);
      if (cost < bestCost - 1e-9) {
        best = merged;
        bestCost = cost;
      }
      return;
    }
    const later = graphemes.length - i - 1;
    for (let lines = 1; lines <= left - later; lines++) {
      const split = splitParagraph(graphemes[i] ?? [], lines, capEm);
      if (split) distribute(i + 1, left - lines, [...acc, split]);
    }
  };
  distribute(0, count, []);
  return best;
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

function blockHeightEm(lines: number): number {
  return (
    (lines - 1) * FONT_METRICS.linePitchEm + FONT_METRICS.inkHeightEm + 2 * FONT_METRICS.strokeEm
  );
}

function contentSize(canvas: CanvasSpec): Size {
  return { width: canvas.width - 2 * canvas.margin, height: canvas.height - 2 * canvas.margin };
}

function maxTextHeight(canvas: CanvasSpec, rules: TextRules): number {
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
      (split.penalty >= ASCII_SPLIT
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
