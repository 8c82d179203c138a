/**
 * The EXIF we keep about an uploaded photo (stored in `line_stamp_generate_queues.image_exif`):
 * camera, capture time, orientation and size. Never location: the GPS IFD is not even parsed,
 * and the result is built from an allow-list, so no other tag can leak through.
 */

import { parse as parseExif } from 'exifr';

export interface SafeExif {
  make?: string;
  model?: string;
  /** Capture time as written by the camera: ISO 8601 local time, with offset when recorded. */
  dateTimeOriginal?: string;
  /** EXIF orientation 1..8. */
  orientation?: number;
  /** Pixel size as recorded in EXIF (before orientation is applied). */
  width?: number;
  height?: number;
}

const IFD0_TAGS = ['Make', 'Model', 'Orientation', 'ImageWidth', 'ImageHeight'];
const EXIF_TAGS = ['DateTimeOriginal', 'OffsetTimeOriginal', 'ExifImageWidth', 'ExifImageHeight'];

const EXIFR_OPTIONS = {
  // Only IFD0 and the Exif sub-IFD, and only the allow-listed tags in them.
  ifd0: { pick: IFD0_TAGS },
  exif: { pick: EXIF_TAGS },
  gps: false,
  ifd1: false,
  interop: false,
  makerNote: false,
  userComment: false,
  xmp: false,
  icc: false,
  iptc: false,
  jfif: false,
  ihdr: false,
  // Raw values: numbers stay numbers, dates stay the camera's strings (no local-time Date).
  translateValues: false,
  reviveValues: false,
  sanitize: true,
  mergeOutput: true,
};

const MAX_TEXT = 64;

function cleanText(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  // eslint-disable-next-line no-control-regex
  const s = v.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return s.length > 0 ? s.slice(0, MAX_TEXT) : undefined;
}

function cleanDimension(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= 1_000_000 ? v : undefined;
}

/** `2024:05:01 12:34:56` (+ `+09:00`) → `2024-05-01T12:34:56+09:00`; undefined if malformed. */
export function exifDateToIso(value: unknown, offset?: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})/.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, ...number[]];
  if (y === undefined || mo === undefined || d === undefined) return undefined;
  if (h === undefined || mi === undefined || s === undefined) return undefined;
  if (y < 1900 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) {
    return undefined;
  }
  const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}`;
  const off = typeof offset === 'string' ? offset.trim() : '';
  return /^[+-]\d{2}:\d{2}$/.test(off) ? iso + off : iso;
}

/**
 * The safe EXIF subset of an image: `{}` when the image has no EXIF, `null` when the EXIF (or
 * the file) cannot be parsed. Never throws.
 */
export async function readSafeExif(buffer: Buffer): Promise<SafeExif | null> {
  let raw: unknown;
  try {
    raw = await parseExif(buffer, EXIFR_OPTIONS);
  } catch {
    return null;
  }
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object') return null;
  const tags = raw as Record<string, unknown>;
  const out: SafeExif = {};
  const make = cleanText(tags.Make);
  if (make !== undefined) out.make = make;
  const model = cleanText(tags.Model);
  if (model !== undefined) out.model = model;
  const date = exifDateToIso(tags.DateTimeOriginal, tags.OffsetTimeOriginal);
  if (date !== undefined) out.dateTimeOriginal = date;
  const o = tags.Orientation;
  if (typeof o === 'number' && Number.isInteger(o) && o >= 1 && o <= 8) out.orientation = o;
  const width = cleanDimension(tags.ExifImageWidth) ?? cleanDimension(tags.ImageWidth);
  const height = cleanDimension(tags.ExifImageHeight) ?? cleanDimension(tags.ImageHeight);
  if (width !== undefined) out.width = width;
  if (height !== undefined) out.height = height;
  return out;
}
