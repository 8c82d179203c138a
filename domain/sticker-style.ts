/**
 * Sticker styles: what a set looks like, chosen by the user (LINE quick reply or HTTP) before
 * a ticket is spent. Pure: a zod schema, the presets and their colours; the geometry of each
 * look is in `sticker-style-layout.ts`, the pixels in `lib/stickers/render.ts`.
 *
 * Looks:
 *  - `card`: the photo as a rounded card with a white outline, the caption over its edge
 *    (the original look);
 *  - `circle`: the photo cut into a circle with a white ring, the caption over its edge;
 *  - `bubble`: a smaller photo card and the caption in a speech bubble pointing at it;
 *  - `bold`: the photo fills the whole sticker, the caption in big white letters with a thick
 *    dark outline over it (manga/meme style).
 * Each look takes the caption at the top or the bottom, and its colours may be overridden.
 */

import { z } from 'zod';

export const STICKER_LOOKS = ['card', 'circle', 'bubble', 'bold'] as const;
export type StickerLook = (typeof STICKER_LOOKS)[number];

export const CAPTION_POSITIONS = ['top', 'bottom'] as const;
export type CaptionPosition = (typeof CAPTION_POSITIONS)[number];

const hexColour = z
  .string()
  .regex(/^#[0-9a-fA-F]{6}$/, 'a colour is #rrggbb')
  .transform((c) => c.toLowerCase());

/** A style as given by a user or a client: every field optional, unknown fields refused. */
export const stickerStyleSchema = z
  .object({
    look: z.enum(STICKER_LOOKS).default('card'),
    caption: z.enum(CAPTION_POSITIONS).default('bottom'),
    /** Letters. */
    textColor: hexColour.optional(),
    /** Outline around the letters. */
    strokeColor: hexColour.optional(),
    /** The photo's outline (card, circle) or the bubble's fill (bubble). */
    accentColor: hexColour.optional(),
  })
  .strict();

export type StickerStyleInput = z.input<typeof stickerStyleSchema>;

/** A complete style: every colour decided. */
export interface StickerStyle {
  look: StickerLook;
  caption: CaptionPosition;
  textColor: string;
  strokeColor: string;
  accentColor: string;
}

const LOOK_COLOURS: Readonly<
  Record<StickerLook, Pick<StickerStyle, 'textColor' | 'strokeColor' | 'accentColor'>>
> = Object.freeze({
  card: { textColor: '#222222', strokeColor: '#ffffff', accentColor: '#ffffff' },
  circle: { textColor: '#d6336c', strokeColor: '#ffffff', accentColor: '#ffffff' },
  bubble: { textColor: '#222222', strokeColor: '#ffffff', accentColor: '#ffffff' },
  bold: { textColor: '#ffffff', strokeColor: '#111111', accentColor: '#ffffff' },
});

/** Outline stroke width as a share of the font size, per look (bold letters: thicker). */
export const LOOK_STROKE_EM: Readonly<Record<StickerLook, number>> = Object.freeze({
  card: 0.14,
  circle: 0.14,
  bubble: 0.1,
  bold: 0.2,
});

/** Names shown to the user (quick reply labels, at most 20 characters each). */
export const LOOK_LABELS: Readonly<Record<StickerLook, string>> = Object.freeze({
  card: 'カード',
  circle: 'まるぬき',
  bubble: 'ふきだし',
  bold: 'でか文字',
});

export const DEFAULT_STICKER_STYLE: Readonly<StickerStyle> = Object.freeze(resolveStickerStyle({}));

/** Validates a style (throws zod's error on bad input) and fills in the look's colours. */
export function parseStickerStyle(input: unknown): StickerStyle {
  return resolveStickerStyle(stickerStyleSchema.parse(input ?? {}));
}

/** Like `parseStickerStyle`, without throwing. */
export function safeParseStickerStyle(
  input: unknown,
): { ok: true; style: StickerStyle } | { ok: false; issues: string[] } {
  const parsed = stickerStyleSchema.safeParse(input ?? {});
  if (!parsed.success) {
    return {
      ok: false,
      issues: parsed.error.issues.map((i) => `${i.path.join('.') || 'style'}: ${i.message}`),
    };
  }
  return { ok: true, style: resolveStickerStyle(parsed.data) };
}

function resolveStickerStyle(
  input: z.output<typeof stickerStyleSchema> | StickerStyleInput,
): StickerStyle {
  const look = input.look ?? 'card';
  const colours = LOOK_COLOURS[look];
  return {
    look,
    caption: input.caption ?? 'bottom',
    textColor: input.textColor ?? colours.textColor,
    strokeColor: input.strokeColor ?? colours.strokeColor,
    accentColor: input.accentColor ?? colours.accentColor,
  };
}

/** One preset per look (caption at the bottom, the look's colours), e.g. for sample sheets. */
export const STYLE_PRESETS: Readonly<Record<StickerLook, Readonly<StickerStyle>>> = Object.freeze({
  card: parseStickerStyle({ look: 'card' }),
  circle: parseStickerStyle({ look: 'circle' }),
  bubble: parseStickerStyle({ look: 'bubble' }),
  bold: parseStickerStyle({ look: 'bold' }),
});
