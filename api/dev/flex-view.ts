import type { LineMessage } from '../../stand-ins';

/**
 * LINE's buttons and Flex cards as the simulator page draws them: a bubble is a card with its
 * texts, its first image and its buttons; a carousel is a row of cards. Only what a person sees
 * and taps; layout, colours and sizes are left to the page.
 */

/** A tappable action: a message sends its text, a postback its data, a URI opens the link. */
export interface ActionView {
  type: string;
  label: string;
  text?: string;
  data?: string;
  displayText?: string;
  uri?: string;
}

export interface CardView {
  texts: string[];
  image?: string;
  buttons: ActionView[];
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** An action as the page needs it (unknown kinds are kept by type, shown disabled). */
export function actionView(raw: unknown): ActionView {
  const a = isObject(raw) ? raw : {};
  const view: ActionView = { type: str(a.type) ?? 'unknown', label: str(a.label) ?? '' };
  for (const key of ['text', 'data', 'displayText', 'uri'] as const) {
    const value = str(a[key]);
    if (value !== undefined) view[key] = value;
  }
  return view;
}

/** Depth-first over a bubble's blocks: texts (with their spans) in order, images, buttons. */
function collect(node: unknown, card: CardView, depth = 0): void {
  if (!isObject(node) || depth > 20) return;
  switch (node.type) {
    case 'text': {
      const spans = Array.isArray(node.contents)
        ? node.contents.map((s) => (isObject(s) ? (str(s.text) ?? '') : '')).join('')
        : '';
      const text = spans || str(node.text);
      if (text) card.texts.push(text);
      return;
    }
    case 'image': {
      const url = str(node.url);
      if (url && !card.image) card.image = url;
      return;
    }
    case 'button':
      card.buttons.push(actionView(node.action));
      return;
    case 'box':
      if (Array.isArray(node.contents))
        for (const child of node.contents) collect(child, card, depth + 1);
      return;
  }
}

function cardOf(bubble: unknown): CardView {
  const card: CardView = { texts: [], buttons: [] };
  if (!isObject(bubble)) return card;
  for (const block of ['header', 'hero', 'body', 'footer']) collect(bubble[block], card);
  return card;
}

/** A Flex message's cards (one for a bubble, each bubble of a carousel); none otherwise. */
export function flexCards(m: LineMessage): CardView[] | undefined {
  if (m.type !== 'flex' || !isObject(m.contents)) return undefined;
  const contents = m.contents;
  if (contents.type === 'carousel' && Array.isArray(contents.contents))
    return contents.contents.map(cardOf);
  if (contents.type === 'bubble') return [cardOf(contents)];
  return undefined;
}

/** A message's quick-reply buttons (none: undefined). */
export function quickReplyButtons(m: LineMessage): ActionView[] | undefined {
  const items = (m.quickReply as { items?: unknown } | undefined)?.items;
  if (!Array.isArray(items) || items.length === 0) return undefined;
  return items.map((item) => actionView(isObject(item) ? item.action : undefined));
}
