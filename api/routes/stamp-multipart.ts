import type { RequestHandler } from 'express';
import multer from 'multer';
import type { StampMode } from '../../domain/sticker-set-rules';
import type { StickerStyle } from '../../domain/sticker-style';
import { isBusinessError } from '../../domain/errors';
import { parseModeField, parseStyleField } from '../../domain/stamp-options';
import { validateBaseImage, type BaseImageInfo, type InputLimits } from '../../lib/stickers/input';
import { HttpError } from '../errors';

/**
 * The multipart side of the stamp routes (`POST /api/stamps`, `POST /api/stamps/preview`):
 * one photo in `image` kept in memory, the text fields, and every multer refusal as a clear
 * 400/413 before anything is written.
 */

export interface StampFormLimits {
  maxUploadBytes: number;
  maxMessages: number;
  maxMessageLength: number;
}

export function stampMultipart(limits: StampFormLimits): RequestHandler {
  const maxMb = Math.floor(limits.maxUploadBytes / 1048576);
  const upload = multer({
    storage: multer.memoryStorage(),
    limits: {
      fileSize: limits.maxUploadBytes,
      files: 1,
      fields: limits.maxMessages + 8,
      parts: limits.maxMessages + 10,
      fieldNameSize: 100,
      fieldSize: 16 * 1024,
    },
  }).single('image');

  return (req, res, next) => {
    if (!req.is('multipart/form-data')) {
      next(
        new HttpError(
          400,
          'INVALID_INPUT',
          'send multipart/form-data with an "image" file and "messages" fields',
        ),
      );
      return;
    }
    upload(req, res, (err: unknown) => {
      if (!err) return next();
      if (err instanceof multer.MulterError) {
        switch (err.code) {
          case 'LIMIT_FILE_SIZE':
            return next(
              new HttpError(413, 'INVALID_INPUT', `画像が大きすぎます（上限 ${maxMb}MB）。`, {
                field: 'image',
                reason: 'TOO_LARGE',
                maxBytes: limits.maxUploadBytes,
              }),
            );
          case 'LIMIT_UNEXPECTED_FILE':
          case 'LIMIT_FILE_COUNT':
            return next(
              new HttpError(400, 'INVALID_INPUT', 'send exactly one file, in the "image" field', {
                field: err.field ?? 'image',
                reason: err.code,
              }),
            );
          case 'LIMIT_FIELD_VALUE':
            return next(
              new HttpError(
                400,
                'INVALID_INPUT',
                `メッセージが長すぎます（1つ${limits.maxMessageLength}文字まで）。`,
                {
                  field: err.field ?? 'messages',
                  reason: 'MESSAGE_TOO_LONG',
                },
              ),
            );
          case 'LIMIT_FIELD_COUNT':
          case 'LIMIT_PART_COUNT':
            return next(
              new HttpError(
                400,
                'INVALID_INPUT',
                `メッセージが多すぎます（最大${limits.maxMessages}個）。`,
                {
                  field: 'messages',
                  reason: 'TOO_MANY_MESSAGES',
                  max: limits.maxMessages,
                },
              ),
            );
          default:
            return next(
              new HttpError(400, 'INVALID_INPUT', `bad multipart form: ${err.message}`, {
                reason: err.code,
              }),
            );
        }
      }
      next(new HttpError(400, 'INVALID_INPUT', 'malformed multipart/form-data body'));
    });
  };
}

/** The uploaded `image` field's bytes; a clear 400 when the form has none. */
export function requireImage(file: { buffer: Buffer } | undefined): Buffer {
  if (!file) {
    throw new HttpError(400, 'INVALID_INPUT', '写真を "image" フィールドで送ってください。', {
      field: 'image',
      reason: 'MISSING',
    });
  }
  return file.buffer;
}

/** `messages` as a repeated field, `messages[]`, or one JSON array of strings. */
export function readMessages(body: Record<string, unknown>): string[] {
  const value = body.messages ?? body['messages[]'];
  if (value === undefined) return [];
  const invalid = () =>
    new HttpError(
      400,
      'INVALID_INPUT',
      '"messages" must be text fields or a JSON array of strings',
      {
        field: 'messages',
        reason: 'MALFORMED',
      },
    );
  if (typeof value === 'string') {
    if (value.trim().startsWith('[')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        return [value];
      }
      if (!Array.isArray(parsed) || !parsed.every((m) => typeof m === 'string')) throw invalid();
      return parsed as string[];
    }
    return [value];
  }
  if (Array.isArray(value) && value.every((m) => typeof m === 'string')) {
    return value as string[];
  }
  throw invalid();
}

export function readDeliver(value: unknown): 'line' | 'none' {
  if (value === undefined || value === '' || value === 'none') return 'none';
  if (value === 'line') return 'line';
  throw new HttpError(400, 'INVALID_INPUT', '"deliver" must be "line" or "none"', {
    field: 'deliver',
  });
}

/** The `style` field (a look name or a JSON object; absent: the card), or a 400 saying why. */
export function readStyle(value: unknown): StickerStyle {
  const parsed = parseStyleField(value);
  if (parsed.ok) return parsed.value;
  throw new HttpError(
    400,
    'INVALID_INPUT',
    `スタイルの指定が正しくありません（${parsed.reason}）。`,
    {
      field: 'style',
      reason: 'INVALID_STYLE',
    },
  );
}

/** The `mode` field (`personal` | `creators`; absent: personal), or a 400 saying why. */
export function readMode(value: unknown): StampMode {
  const parsed = parseModeField(value);
  if (parsed.ok) return parsed.value;
  throw new HttpError(400, 'INVALID_INPUT', `"mode" must be "personal" or "creators"`, {
    field: 'mode',
    reason: 'INVALID_MODE',
  });
}

/** The photo checked (format, pixels, decodability): 413 when too large, else 400 with why. */
export async function readPhoto(bytes: Buffer, limits: InputLimits): Promise<BaseImageInfo> {
  try {
    return await validateBaseImage(bytes, limits);
  } catch (err) {
    if (!isBusinessError(err)) throw err;
    const status = err.details.reason === 'TOO_LARGE' ? 413 : 400;
    throw new HttpError(status, 'INVALID_INPUT', err.message, { ...err.details });
  }
}
