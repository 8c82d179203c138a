import { isRecord } from '../http-kit';
import { invalid, type OpenAiError } from './validate';

/**
 * Image content parts of chat completions (OpenAI's vision format):
 * `{ type: 'image_url', image_url: { url: 'data:image/jpeg;base64,…', detail?: 'auto'|'low'|'high' } }`
 * in a user message. The stand-in checks them as OpenAI does (400 for a malformed part), reads
 * the image's header to know its pixel size (JPEG or PNG only: the product sends JPEG), and
 * counts its input tokens by OpenAI's published rule, so a test can assert what the product
 * was charged. It takes data URLs only: it fetches nothing from the network.
 */

export interface SeenImage {
  format: 'jpeg' | 'png';
  width: number;
  height: number;
  bytes: number;
  detail: 'auto' | 'low' | 'high';
  /** The input tokens the image adds to `prompt_tokens`. */
  tokens: number;
}

const DETAILS = ['auto', 'low', 'high'] as const;
const MIME = /^data:(image\/(?:jpeg|jpg|png|gif|webp));base64,([A-Za-z0-9+/=\s]*)$/;

/**
 * OpenAI's image token rule (GPT-4o family): `low` is a flat 85. `high` and `auto` (treated as
 * high): the image is scaled to fit 2048×2048, then down so its short side is at most 768 px;
 * each 512 px tile costs 170, plus the flat 85.
 */
export function imageTokens(width: number, height: number, detail: SeenImage['detail']): number {
  if (detail === 'low') return 85;
  let w = width;
  let h = height;
  const fit = Math.min(1, 2048 / Math.max(w, h));
  w *= fit;
  h *= fit;
  const short = Math.min(1, 768 / Math.min(w, h));
  w = Math.floor(w * short);
  h = Math.floor(h * short);
  return 85 + 170 * Math.ceil(w / 512) * Math.ceil(h / 512);
}

/** A PNG's or a baseline/progressive JPEG's pixel size from its header; null if it is neither. */
export function imageSize(
  buf: Buffer,
): { format: 'jpeg' | 'png'; width: number; height: number } | null {
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (
    buf.length >= 33 &&
    buf.subarray(0, 8).equals(png) &&
    buf.toString('latin1', 12, 16) === 'IHDR'
  ) {
    const width = buf.readUInt32BE(16);
    const height = buf.readUInt32BE(20);
    // A PNG ends with its IEND chunk: a cut-off file is not an image.
    const ended = buf.subarray(-8, -4).toString('latin1') === 'IEND';
    return width > 0 && height > 0 && ended ? { format: 'png', width, height } : null;
  }
  if (buf.length < 4 || buf[0] !== 0xff || buf[1] !== 0xd8) return null;
  // A JPEG ends with EOI (FF D9); its size is in the first SOFn segment.
  if (buf[buf.length - 2] !== 0xff || buf[buf.length - 1] !== 0xd9) return null;
  let i = 2;
  while (i + 9 < buf.length) {
    if (buf[i] !== 0xff) return null;
    const marker = buf[i + 1]!;
    if (marker === 0xff) {
      i++;
      continue;
    }
    const length = buf.readUInt16BE(i + 2);
    const sof = marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker);
    if (sof) {
      const height = buf.readUInt16BE(i + 5);
      const width = buf.readUInt16BE(i + 7);
      return width > 0 && height > 0 ? { format: 'jpeg', width, height } : null;
    }
    if (marker === 0xda || length < 2) return null; // scan data before any frame header
    i += 2 + length;
  }
  return null;
}

/** Every image part of the request, checked; the first problem as OpenAI words it. */
export function inspectImages(messages: unknown[]): { images: SeenImage[] } | OpenAiError {
  const images: SeenImage[] = [];
  for (const [i, m] of messages.entries()) {
    if (!isRecord(m) || !Array.isArray(m.content)) continue;
    for (const [j, part] of (m.content as unknown[]).entries()) {
      const at = `messages[${i}].content[${j}]`;
      if (!isRecord(part)) continue;
      if (part.type === 'text' && typeof part.text !== 'string')
        return invalid(
          `Invalid type for '${at}.text': expected a string, but got ${part.text === undefined ? 'nothing' : typeof part.text} instead.`,
          `${at}.text`,
          'invalid_type',
        );
      if (part.type !== 'image_url') continue;
      if (m.role !== 'user')
        return invalid(
          `Image URLs are only allowed for messages with role 'user', but this message with role '${String(m.role)}' contains an image URL.`,
          `messages[${i}]`,
          'invalid_value',
        );
      const spec = part.image_url;
      if (!isRecord(spec) || typeof spec.url !== 'string')
        return invalid(
          `Missing required parameter: '${at}.image_url.url'.`,
          `${at}.image_url.url`,
          'missing_required_parameter',
        );
      const detail = spec.detail ?? 'auto';
      if (!DETAILS.includes(detail as SeenImage['detail']))
        return invalid(
          `Invalid value: '${String(detail)}'. Supported values are: 'auto', 'low', and 'high'.`,
          `${at}.image_url.detail`,
          'invalid_value',
        );
      const data = MIME.exec(spec.url);
      if (!data)
        return invalid(
          /^https?:\/\//.test(spec.url)
            ? 'The LLM stand-in fetches no image URLs: send the image as a base64 data URL.'
            : `Invalid '${at}.image_url.url'. Expected a base64-encoded data URL with an image MIME type (e.g. 'data:image/png;base64,aW1nIGJ5dGVzIGhlcmU='), but got a value that is not one.`,
          `${at}.image_url.url`,
          'invalid_image_url',
        );
      const bytes = Buffer.from(data[2]!, 'base64');
      const size = imageSize(bytes);
      if (!size)
        return invalid(
          'You uploaded an unsupported image. Please make sure your image is valid.',
          null,
          'invalid_image_format',
        );
      const d = detail as SeenImage['detail'];
      images.push({
        ...size,
        bytes: bytes.length,
        detail: d,
        tokens: imageTokens(size.width, size.height, d),
      });
    }
  }
  return { images };
}

/**
 * Models that take image parts, as OpenAI's do (the GPT-4o, 4.1 and 5 families, o-series
 * reasoning models, "vision" models); others answer 400, so a turn that falls back to a
 * text-only tier with its photo shows up in tests.
 */
export function acceptsImages(model: string): boolean {
  return /gpt-4o|gpt-4\.1|gpt-5|vision|^o[134]\b|^o[134]-/.test(model) && !/search/.test(model);
}

/** OpenAI's 400 for an image part to a model without vision. */
export function imagesNotSupported(): OpenAiError {
  return invalid(
    'Invalid content type. image_url is only supported by certain models.',
    'messages',
    'invalid_value',
  );
}

/** How the default answer shows it saw the images: their pixel sizes, e.g. `[画像 1024×768]`. */
export function imageNote(images: readonly SeenImage[]): string {
  return images.map((img) => `[画像 ${img.width}×${img.height}]`).join(' ');
}
