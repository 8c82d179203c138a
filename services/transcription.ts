import type { messagingApi } from '@line/bot-sdk';
import OpenAI, { toFile } from 'openai';
import { isRequestRejected } from '../domain/http-rejection';

/**
 * A voice message's audio, read from LINE's data API, and its transcript from an
 * OpenAI-compatible `/audio/transcriptions` endpoint through the `openai` SDK (issue #14).
 * Neither the audio nor the transcript is logged here: both are the user's words.
 */

/** LINE sends voice messages as M4A (AAC); the file name tells the provider the format. */
const VOICE_FILE = { name: 'voice.m4a', type: 'audio/x-m4a' } as const;

/** More bytes than the provider accepts: refused without buffering the rest. */
export class VoiceTooLarge extends Error {
  override readonly name = 'VoiceTooLarge';
}

/** Reads a voice message's content from LINE, up to `maxBytes`. */
export async function downloadVoice(
  blob: Pick<messagingApi.MessagingApiBlobClient, 'getMessageContent'>,
  messageId: string,
  maxBytes: number,
): Promise<Buffer> {
  const stream = (await blob.getMessageContent(messageId)) as AsyncIterable<Uint8Array> & {
    destroy?: () => void;
  };
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.length;
    if (size > maxBytes) {
      stream.destroy?.();
      throw new VoiceTooLarge(`voice message over ${maxBytes} bytes`);
    }
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

export interface Transcript {
  text: string;
  /** The audio's duration as the provider billed it; undefined when it did not say. */
  seconds: number | undefined;
  /** The provider's usage object as returned (stored with the turn's raw usage). */
  rawUsage: unknown;
}

/**
 * One transcription request. Errors are thrown as the SDK raises them (OpenAI.APIError with
 * its status), so the caller decides what is final and what Temporal retries.
 */
export async function transcribe(
  client: OpenAI,
  input: { model: string; audio: Buffer; language?: string },
): Promise<Transcript> {
  const file = await toFile(input.audio, VOICE_FILE.name, { type: VOICE_FILE.type });
  const result = await client.audio.transcriptions.create({
    file,
    model: input.model,
    response_format: 'json',
    ...(input.language ? { language: input.language } : {}),
  });
  // Models billed by duration report `usage: {type: 'duration', seconds}`; token-billed ones
  // (gpt-4o-transcribe) report tokens, and then the caller falls back to LINE's duration.
  const usage = result.usage;
  const seconds =
    usage?.type === 'duration' && Number.isFinite(usage.seconds) && usage.seconds >= 0
      ? usage.seconds
      : undefined;
  return { text: result.text ?? '', seconds, rawUsage: usage ?? null };
}

/** A 4xx other than timeout, conflict and rate limit: the same audio fails the same way again. */
export function isFinalRejection(err: unknown): boolean {
  const status = (err as { status?: unknown } | null)?.status;
  return (
    (err instanceof OpenAI.APIError || (err as Error | null)?.name === 'HTTPFetchError') &&
    isRequestRejected(status)
  );
}
