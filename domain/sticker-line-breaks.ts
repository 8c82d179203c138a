/**
 * Where a sticker caption may break, and the best split into 1..3 lines. Pure (no I/O).
 *
 * Japanese has no spaces, so a line break is chosen by:
 *  - phrases: BudouX (Google's maintained phrase segmenter, Apache-2.0; its Japanese model is
 *    data inside the package) says where a phrase (文節) ends. A break inside a phrase
 *    (おつか|れさま！) costs as much as splitting a Latin word: a last resort, taken only when
 *    the text cannot be set at the minimum size otherwise;
 *  - kinsoku: no line starts with closing brackets, small kana, ー, 、。！？ etc., and no line
 *    ends with an opening bracket (these are forbidden outright);
 *  - emoji stay with the phrase before them (やったね🎉 is not broken before the 🎉);
 *  - balance: the split that minimises the longest line (the font size follows from it), with
 *    the difference between the longest and the shortest line as a tie-breaker.
 *
 * Widths are advance widths of Noto Sans JP Black (the sticker font) in em.
 */

import type { Parser } from 'budoux';

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

/** Advance of Noto Color Emoji (2550 units of 2048) at the same size as the text. */
const EMOJI_EM = 1.245;

/** Estimated advance width of one grapheme, in em. */
export function graphemeWidthEm(g: string): number {
  const ascii = ASCII_EM[g];
  if (ascii !== undefined) return ascii;
  const cp = g.codePointAt(0) ?? 0;
  if (cp >= 0xff61 && cp <= 0xff9f) return 0.5; // half-width katakana and punctuation
  if (cp >= 0x00a0 && cp < 0x0370) return 0.6; // Latin-1 / Latin Extended
  if (cp >= 0x0370 && cp < 0x0530) return 0.65; // Greek, Cyrillic
  if (cp === 0x3000) return 1; // ideographic space
  if (isEmojiGrapheme(g)) return EMOJI_EM;
  if (/\s/u.test(g)) return 0.229;
  return 1; // kana, kanji, full-width forms, CJK punctuation, symbols
}

const graphemeSegmenter = new Intl.Segmenter('ja', { granularity: 'grapheme' });

export function splitGraphemes(text: string): string[] {
  return Array.from(graphemeSegmenter.segment(text), (s) => s.segment);
}

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
/** Pictographs drawn from the emoji font (emoji presentation, or outside the BMP symbols). */
const EMOJI = /\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20e3/u;

/** Breaks a kinsoku rule: never taken while any other split exists. */
export const FORBIDDEN = 1000;
/**
 * Splits a phrase, a Latin word or a number: taken only when the text would otherwise be set
 * below the canvas's minimum font size.
 */
export const WORD_SPLIT = 20;

/** Whether a grapheme is an emoji (drawn with the colour emoji font, about 1.25 em wide). */
export function isEmojiGrapheme(g: string): boolean {
  if (!EMOJI.test(g)) return false;
  const cp = g.codePointAt(0) ?? 0;
  // Text-style symbols of the BMP (♡ ★ ♪ ☆ ☀ …) stay in the text font unless VS16 asks for
  // the emoji form; everything from U+1F000 on is an emoji.
  return cp >= 0x1f000 || g.includes('\ufe0f') || g.includes('\u200d') || g.includes('\u20e3');
}

/**
 * BudouX's parser and Japanese model, loaded by file. Its entry point also loads an HTML
 * processor (linkedom, which needs the ESM-only css-select 7) that jest's CommonJS runtime
 * cannot load and that a caption never needs; the parser and the model are plain CommonJS
 * files beside it (the package's `exports` lists only the entry point, hence the full path).
 */
function loadBudouxJapanese(): Parser {
  const dist = require.resolve('budoux').replace(/index\.js$/, '');
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { Parser: BudouxParser } = require(`${dist}parser.js`) as typeof import('budoux');
  const { model } = require(`${dist}data/models/ja.js`) as {
    model: typeof import('budoux').jaModel;
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
  return new BudouxParser(model);
}

const budoux = loadBudouxJapanese();

/** Grapheme indices where BudouX starts a new phrase (index 0 excluded). */
function phraseStarts(graphemes: readonly string[]): Set<number> {
  const graphemeAt = new Map<number, number>();
  let offset = 0;
  graphemes.forEach((g, i) => {
    graphemeAt.set(offset, i);
    offset += g.length;
  });
  const starts = new Set<number>();
  let at = 0;
  for (const phrase of budoux.parse(graphemes.join(''))) {
    at += phrase.length;
    // A boundary inside a grapheme (an emoji sequence) is no boundary.
    const gi = graphemeAt.get(at);
    if (gi !== undefined) starts.add(gi);
  }
  return starts;
}

/**
 * Penalty for breaking before grapheme `i` (1 ≤ i < n): ≥ FORBIDDEN breaks a kinsoku rule,
 * WORD_SPLIT splits a phrase or a Latin word, small values express taste (negative = good).
 */
export function breakPenalties(graphemes: readonly string[]): number[] {
  const phrases = phraseStarts(graphemes);
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
      p = WORD_SPLIT;
    } else if (isEmojiGrapheme(next)) {
      // An emoji closes the phrase before it; a run of emoji stays together.
      p = isEmojiGrapheme(prev) ? 6 : 4;
    } else if (isEmojiGrapheme(prev)) {
      p = -1;
    } else if (!phrases.has(i)) {
      p = WORD_SPLIT;
    } else {
      if (GOOD_END.has(prev)) p -= 1;
      else if (HIRAGANA.test(prev) && KANJI_OR_KATAKANA.test(next)) p -= 0.5;
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
