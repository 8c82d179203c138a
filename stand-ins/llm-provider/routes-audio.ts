import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { readBody, sendJson, sleep } from '../http-kit';
import { boundaryOf, parseMultipart, type FormPart } from './multipart';
import type { LlmState } from './state';
import type { LlmRequestRecord } from './types';
import { defaultFailure, errorBody, invalid, maskKey, modelNotFound } from './validate';

/**
 * POST /v1/audio/transcriptions (and /audio/transcriptions), multipart as OpenAI takes it:
 * `file` (name with a supported extension, at most 25 MB), `model`, optional
 * `response_format` (json, verbose_json, text), `language`, `prompt`, `temperature`.
 *
 * Transcripts are deterministic, read from markers in the audio bytes (UTF-8):
 *   [[transcript:TEXT]]  the transcript          [[seconds:N]]  the duration billed (else
 *   [[fail:STATUS]]      answer with that error                 one second per 4000 bytes)
 * Bytes without a transcript marker are answered as OpenAI answers audio it cannot decode:
 * 400 "Audio file might be corrupted or unsupported". Down, latency, the API key and queued
 * failures (failNext) apply as to chat completions.
 */

const MAX_FILE_BYTES = 25 * 1024 * 1024;
const FORMATS = ['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm'];
const RESPONSE_FORMATS = ['json', 'verbose_json', 'text'];

export async function handleTranscription(
  state: LlmState,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  path: string,
): Promise<void> {
  const started = Date.now();
  const raw = await readBody(req, MAX_FILE_BYTES + 1024 * 1024);
  const boundary = boundaryOf(String(req.headers['content-type'] ?? ''));
  const parts = boundary ? parseMultipart(raw, boundary) : null;
  const field = (name: string) => parts?.find((p) => p.name === name && p.filename === undefined);
  const text = (name: string) => field(name)?.data.toString('utf8');
  const file = parts?.find((p) => p.name === 'file' && p.filename !== undefined);
  const model = text('model');
  const format = text('response_format') ?? 'json';
  const rec: LlmRequestRecord = {
    seq: state.nextSeq(),
    path,
    // Never the audio itself: its name, type and size.
    body: {
      ...(model !== undefined ? { model } : {}),
      response_format: format,
      ...(text('language') !== undefined ? { language: text('language') } : {}),
      ...(file ? { file: describe(file) } : {}),
    },
    status: 0,
    at: new Date(),
  };
  if (model) rec.model = model;
  state.track(rec);

  const answer = (status: number, payload: unknown) => {
    rec.status = status;
    const headers = {
      'x-request-id': `req_${randomBytes(16).toString('hex')}`,
      'openai-version': '2020-10-01',
      'openai-processing-ms': String(Date.now() - started),
    };
    if (typeof payload === 'string') {
      res.writeHead(status, { ...headers, 'content-type': 'text/plain; charset=utf-8' });
      res.end(payload);
    } else sendJson(res, status, payload, headers);
    state.finish(rec);
  };

  if (state.down() === 'reset') {
    req.socket.destroy();
    return state.finish(rec);
  }
  const markers = file ? markersOf(file.data) : {};
  const wait = state.latencyMs();
  if (wait > 0) await sleep(wait);
  if (res.destroyed) return state.finish(rec);
  if (state.down() === '503') return answer(503, defaultFailure(503));

  const auth = req.headers.authorization;
  const presented = auth?.startsWith('Bearer ') ? auth.slice(7).trim() : undefined;
  if (state.apiKey !== undefined && presented !== state.apiKey) {
    const message = presented
      ? `Incorrect API key provided: ${maskKey(presented)}.`
      : "You didn't provide an API key.";
    return answer(
      401,
      errorBody({
        message,
        type: 'invalid_request_error',
        param: null,
        code: presented ? 'invalid_api_key' : null,
      }),
    );
  }
  const failure = state.takeFailure();
  if (failure) return answer(failure.status, failure.body ?? defaultFailure(failure.status));
  if (markers.fail !== undefined) return answer(markers.fail, defaultFailure(markers.fail));

  if (!parts) {
    return answer(
      400,
      errorBody(invalid('The request must be multipart/form-data with a boundary.', null, null)),
    );
  }
  if (!model)
    return answer(400, errorBody(invalid('you must provide a model parameter', null, null)));
  if (!file) {
    return answer(
      400,
      errorBody(
        invalid("Missing required parameter: 'file'.", 'file', 'missing_required_parameter'),
      ),
    );
  }
  if (!RESPONSE_FORMATS.includes(format)) {
    return answer(
      400,
      errorBody(
        invalid(
          `response_format '${format}' is not supported by the LLM stand-in (json, verbose_json, text)`,
          'response_format',
          'unsupported_value',
        ),
      ),
    );
  }
  const extension = /\.([a-z0-9]+)$/i.exec(file.filename ?? '')?.[1]?.toLowerCase();
  if (!extension || !FORMATS.includes(extension)) {
    return answer(
      400,
      errorBody(
        invalid(
          `Invalid file format. Supported formats: [${FORMATS.map((f) => `'${f}'`).join(', ')}]`,
          null,
          null,
        ),
      ),
    );
  }
  if (file.data.length > MAX_FILE_BYTES) {
    return answer(
      413,
      errorBody(
        invalid(
          `Maximum content size limit (${MAX_FILE_BYTES}) exceeded (${file.data.length} bytes read)`,
          null,
          null,
        ),
      ),
    );
  }
  if (state.models && !state.models.includes(model)) {
    return answer(404, modelNotFound(model));
  }
  if (markers.transcript === undefined) {
    return answer(
      400,
      errorBody(invalid('Audio file might be corrupted or unsupported', 'file', 'invalid_value')),
    );
  }

  const transcript = markers.transcript;
  const seconds = markers.seconds ?? Math.max(1, Math.ceil(file.data.length / 4000));
  rec.transcription = { text: transcript, seconds };
  const usage = { type: 'duration', seconds };
  if (format === 'text') return answer(200, transcript);
  if (format === 'verbose_json') {
    return answer(200, {
      task: 'transcribe',
      language: text('language') ?? 'japanese',
      duration: seconds,
      text: transcript,
      segments: [],
      usage,
    });
  }
  return answer(200, { text: transcript, usage });
}

function describe(file: FormPart) {
  return {
    filename: file.filename,
    ...(file.contentType ? { contentType: file.contentType } : {}),
    bytes: file.data.length,
  };
}

/** The stand-in's markers in the audio bytes (see the module comment). */
function markersOf(audio: Buffer): { transcript?: string; seconds?: number; fail?: number } {
  const text = audio.toString('utf8');
  const transcript = /\[\[transcript:([^\]]*)\]\]/.exec(text)?.[1];
  const seconds = /\[\[seconds:(\d+(?:\.\d+)?)\]\]/.exec(text)?.[1];
  const fail = /\[\[fail:(\d{3})\]\]/.exec(text)?.[1];
  return {
    ...(transcript !== undefined ? { transcript } : {}),
    ...(seconds !== undefined ? { seconds: Number(seconds) } : {}),
    ...(fail !== undefined ? { fail: Number(fail) } : {}),
  };
}
