/**
 * Geometry of each sticker look (see `sticker-style.ts`): where the photo goes and in what
 * shape, where the caption block sits, and the speech bubble. Pure.
 *
 * Every shape stays inside the canvas margin (LINE asks for about 10 px of empty border), so
 * every look passes the same validator. The photo shape depends only on the look, the caption
 * position and the number of lines, so the renderer cuts a photo once per such key and reuses
 * it for a whole set.
 */

import {
  FONT_METRICS,
  blockHeightEm,
  contentSize,
  maxTextHeight,
  type CanvasSpec,
  type Rect,
  type Size,
  type TextPlan,
} from './sticker-layout';
import { LOOK_STROKE_EM, type StickerStyle } from './sticker-style';

export interface PhotoShape extends Rect {
  shape: 'rounded' | 'circle';
  /** Corner radius of the outer (outline) edge; half the width for a circle. */
  radius: number;
  /** Outline width (0: none). */
  border: number;
}

export interface BubbleShape extends Rect {
  radius: number;
  /** The tail points at the photo: down when the bubble is on top, up when at the bottom. */
  tail: 'up' | 'down';
  /** Horizontal position of the tail's tip, in canvas px. */
  tailX: number;
  tailHeight: number;
}

export interface StyledLayout extends Size {
  photo: PhotoShape;
  /** The rect the caption block is centred in; null: no caption. */
  text: Rect | null;
  /** Where the block sits vertically in `text`. */
  align: 'top' | 'bottom';
}

/** Inner padding of the speech bubble around the caption. */
const BUBBLE_PAD = 10;
const BUBBLE_TAIL = 14;
/** The full-bleed photo of `bold` keeps only slightly rounded corners. */
const BOLD_RADIUS_SHARE = 0.06;

/** The canvas the caption is planned on for a look (the bubble's inside is narrower). */
export function textCanvasFor(canvas: CanvasSpec, style: StickerStyle): CanvasSpec {
  if (canvas.text === null) return canvas;
  if (style.look === 'bubble') {
    return {
      ...canvas,
      margin: canvas.margin + BUBBLE_PAD,
      text: { ...canvas.text, maxHeightRatio: canvas.text.maxHeightRatio * 0.85 },
    };
  }
  if (style.look === 'bold') {
    // Over the photo there is no caption strip to keep small: allow a taller block.
    return { ...canvas, margin: canvas.margin + 4, text: { ...canvas.text, maxHeightRatio: 0.5 } };
  }
  return canvas;
}

/** Outline stroke for a font size in a look. */
export function styledStrokeFor(fontPx: number, style: StickerStyle): number {
  return Math.max(FONT_METRICS.minStrokePx, Math.round(fontPx * LOOK_STROKE_EM[style.look]));
}

/** Height the caption takes for `lineCount` lines at the largest font (the reserve basis). */
function captionHeight(canvas: CanvasSpec, style: StickerStyle, lineCount: number): number {
  const tc = textCanvasFor(canvas, style);
  const rules = tc.text;
  if (rules === null || lineCount === 0) return 0;
  const lines = Math.min(lineCount, rules.maxLines);
  return Math.min(maxTextHeight(tc, rules), blockHeightEm(lines) * rules.maxFontPx);
}

/** The photo's shape for a look, caption position and line count (0 = no caption). */
export function photoShapeFor(
  canvas: CanvasSpec,
  style: StickerStyle,
  lineCount: number,
): PhotoShape {
  const content = contentSize(canvas);
  const m = canvas.margin;
  const overlap = canvas.text?.photoOverlap ?? 0.5;
  const caption = captionHeight(canvas, style, lineCount);
  const top = style.caption === 'top';
  switch (style.look) {
    case 'bold':
      return {
        shape: 'rounded',
        left: m,
        top: m,
        width: content.width,
        height: content.height,
        radius: Math.round(Math.min(content.width, content.height) * BOLD_RADIUS_SHARE),
        border: 0,
      };
    case 'circle': {
      const reserve = Math.round(caption * (1 - overlap));
      const d = evenFloor(Math.min(content.width, content.height - reserve));
      return {
        shape: 'circle',
        left: m + Math.floor((content.width - d) / 2),
        top: top ? m + content.height - d : m,
        width: d,
        height: d,
        radius: d / 2,
        border: canvas.border,
      };
    }
    case 'bubble': {
      const reserve = caption > 0 ? Math.round(caption + 2 * BUBBLE_PAD + BUBBLE_TAIL * 0.5) : 0;
      return {
        shape: 'rounded',
        left: m,
        top: top ? m + reserve : m,
        width: content.width,
        height: content.height - reserve,
        radius: canvas.cornerRadius,
        border: canvas.border,
      };
    }
    case 'card': {
      const reserve = Math.round(caption * (1 - overlap));
      return {
        shape: 'rounded',
        left: m,
        top: top ? m + reserve : m,
        width: content.width,
        height: content.height - reserve,
        radius: canvas.cornerRadius,
        border: canvas.border,
      };
    }
  }
}

function evenFloor(v: number): number {
  return Math.max(2, Math.floor(v / 2) * 2);
}

/** The whole layout of one image for a look; `plan` from `planStickerText(text, textCanvasFor(...))`. */
export function layoutStyledSticker(
  canvas: CanvasSpec,
  style: StickerStyle,
  plan: TextPlan | null,
): StyledLayout {
  const photo = photoShapeFor(canvas, style, plan?.lines.length ?? 0);
  const align = style.caption === 'top' ? 'top' : 'bottom';
  const base = { width: canvas.width, height: canvas.height, photo, align } as const;
  if (plan === null) return { ...base, text: null };
  const tc = textCanvasFor(canvas, style);
  const text: Rect = {
    left: tc.margin,
    top: align === 'top' ? tc.margin : canvas.height - tc.margin - plan.maxHeightPx,
    width: plan.maxWidthPx,
    height: plan.maxHeightPx,
  };
  return { ...base, text };
}

/**
 * The speech bubble around a rendered caption of `ink` size (bubble look only), and where the
 * caption goes inside it: full content width, as tall as the caption plus padding, at the top
 * or the bottom, its tail pointing at the photo.
 */
export function bubbleAround(
  canvas: CanvasSpec,
  style: StickerStyle,
  ink: Size,
  photo: PhotoShape,
): { bubble: BubbleShape; textAt: { left: number; top: number } } {
  const m = canvas.margin;
  const h = Math.min(ink.height + 2 * BUBBLE_PAD, canvas.height - 2 * m);
  // Next to the photo, the tail just reaching it; never past the margin.
  const gap = BUBBLE_TAIL - 4;
  const top =
    style.caption === 'top'
      ? Math.max(m, photo.top - gap - h)
      : Math.min(canvas.height - m - h, photo.top + photo.height + gap);
  const bubble: BubbleShape = {
    left: m,
    top,
    width: canvas.width - 2 * m,
    height: h,
    radius: Math.min(28, Math.floor(h / 2)),
    tail: style.caption === 'top' ? 'down' : 'up',
    tailX: Math.round(canvas.width * 0.3),
    tailHeight: BUBBLE_TAIL,
  };
  const left = m + Math.max(0, Math.floor((bubble.width - ink.width) / 2));
  return { bubble, textAt: { left, top: top + BUBBLE_PAD } };
}

/**
 * Top-left corner for a rendered block of `size` in the text rect: centred horizontally,
 * top- or bottom-aligned, clamped inside the rect.
 */
export function placeStyledText(
  rect: Rect,
  size: Size,
  align: 'top' | 'bottom',
): { left: number; top: number } {
  const left = rect.left + Math.max(0, Math.floor((rect.width - size.width) / 2));
  const slack = Math.max(0, rect.height - size.height);
  return { left, top: rect.top + (align === 'top' ? 0 : slack) };
}
