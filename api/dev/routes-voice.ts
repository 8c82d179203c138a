import { Router, type Request, type Response } from 'express';
import multer from 'multer';
import { audioEvent, lineMessageId } from '../../stand-ins/line-webhook';
import { HttpError } from '../errors';
import { bodyOf, lineUserIdOf, MAX_TEXT } from './request';
import type { Simulator } from './simulator';

/**
 * A voice message (issue #14): POST /dev/api/users/:id/audio, multipart with a recording
 * (`audio`, any audio/* file) and/or `text` (what the recording says), and `seconds` (its
 * length, default 3). The typed words are wrapped in the LLM stand-in's markers
 * (`[[transcript:…]]`, `[[seconds:N]]`, stand-ins/llm-provider/routes-audio.ts), after the
 * recording's bytes when there is one, so the local transcription returns them. The bytes
 * become LINE content at the stand-in under a new message ID and a signed `audio` message
 * event is posted, as LINE does. Bad input is refused with 400 before anything is sent.
 */

/** OpenAI's transcription limit, and the catalog's default voice.maxBytes. */
export const MAX_AUDIO_BYTES = 25 * 1024 * 1024;
/** Long enough to try the catalog's voice.maxSeconds refusal (300 by default). */
export const MAX_AUDIO_SECONDS = 600;
const DEFAULT_SECONDS = 3;
/** LINE's voice messages are M4A (AAC). */
const RECORDING_TYPE = 'audio/x-m4a';

/** The stand-in's markers for `text` spoken over `seconds` (a `]` would end the marker). */
export function voiceMarkers(text: string, seconds: number): string {
  return `[[transcript:${text.replace(/\]/g, '］')}]][[seconds:${seconds}]]`;
}

function secondsOf(raw: unknown): number {
  if (raw === undefined || (typeof raw === 'string' && raw.trim() === '')) return DEFAULT_SECONDS;
  const value = typeof raw === 'string' && /^\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!(value > 0 && value <= MAX_AUDIO_SECONDS))
    throw new HttpError(
      400,
      'INVALID_INPUT',
      `seconds: the recording's length, a number above 0 and at most ${MAX_AUDIO_SECONDS}`,
    );
  return Math.round(value * 10) / 10 || 0.1;
}

export function voiceRoutes(sim: Simulator): Router {
  const router = Router();
  const { line, log, standIn } = sim;
  const upload = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: MAX_AUDIO_BYTES, files: 1, fields: 4, fieldSize: 64 * 1024 },
  }).single('audio');

  function receive(req: Request, res: Response): Promise<void> {
    return new Promise<void>((resolve, reject) =>
      upload(req, res, (err: unknown) => {
        if (!err) return resolve();
        if (err instanceof multer.MulterError)
          return reject(
            new HttpError(
              400,
              'INVALID_INPUT',
              err.code === 'LIMIT_FILE_SIZE'
                ? `audio: at most ${MAX_AUDIO_BYTES / 1024 / 1024} MB`
                : `audio upload: ${err.message}`,
            ),
          );
        reject(err as Error);
      }),
    );
  }

  router.post('/dev/api/users/:lineUserId/audio', async (req, res) => {
    const lineUserId = lineUserIdOf(req);
    if (!req.is('multipart/form-data'))
      throw new HttpError(
        400,
        'INVALID_INPUT',
        'send multipart/form-data with an "audio" file and/or "text" (what it says), "seconds"',
      );
    await receive(req, res);
    const body = bodyOf(req);
    const file = req.file;
    const rawText = body.text;
    const text = typeof rawText === 'string' ? rawText.replace(/\r\n?/g, '\n').trim() : '';
    if (text.length > MAX_TEXT)
      throw new HttpError(400, 'INVALID_INPUT', `text: at most ${MAX_TEXT} characters`);
    if (file && file.size === 0)
      throw new HttpError(400, 'INVALID_INPUT', 'audio: the file is empty');
    if (file && !/^(audio\/|application\/octet-stream$)/.test(file.mimetype))
      throw new HttpError(400, 'INVALID_INPUT', `audio: ${file.mimetype} is not an audio file`);
    if (!file && !text)
      throw new HttpError(
        400,
        'INVALID_INPUT',
        'no recording: send an "audio" file or the "text" the recording says',
      );
    const seconds = secondsOf(body.seconds);
    await line.requireStandIn();

    const parts = [file?.buffer, text ? Buffer.from(voiceMarkers(text, seconds)) : undefined];
    const audio = Buffer.concat(parts.filter((p): p is Buffer => p !== undefined));
    const contentType = file?.mimetype.startsWith('audio/') ? file.mimetype : RECORDING_TYPE;
    // LINE keeps the recording; the bot downloads it from the data API by message ID.
    const messageId = lineMessageId();
    await standIn.putContent(messageId, audio, contentType);
    const { at, webhookEventId, options } = await line.prepare(lineUserId, true);
    const event = audioEvent(lineUserId, messageId, Math.round(seconds * 1000), options);
    const { status } = await line.post(req, event);
    const entry = log.remember(lineUserId, at, {
      kind: 'audio',
      audioMessageId: messageId,
      seconds,
      ...(text ? { spoken: text } : {}),
      ...(file?.originalname ? { fileName: file.originalname.slice(0, 100) } : {}),
      webhookEventId,
      status,
    });
    res.status(202).json(entry);
  });

  return router;
}
