import type { messagingApi } from '@line/bot-sdk';
import { ApplicationFailure } from '@temporalio/activity';
import type OpenAI from 'openai';
import type { Catalog } from '../config/catalog';
import { priceTranscription, type TranscriptionUsageRecord } from '../domain/pricing';
import { sanitizeText } from '../domain/sanitize-text';
import type { Logger } from '../lib/logger';
import {
  downloadVoice,
  isFinalRejection,
  transcribe,
  VoiceTooLarge,
} from '../services/transcription';
import { withFailureClassification } from './support/failures';

export interface ChatVoiceDeps {
  catalog: Pick<Catalog, 'voice' | 'rates' | 'messages'>;
  /** LINE's data API (message content). */
  blob: Pick<messagingApi.MessagingApiBlobClient, 'getMessageContent'>;
  /** The OpenAI SDK client of each model tier (lib/llm.ts). */
  llm: Record<string, OpenAI>;
  logger: Logger;
}

/** A voice message to transcribe: its LINE message ID and the duration LINE reported. */
export interface VoiceClip {
  messageId: string;
  durationMs?: number;
}

/** Why a voice message gets a free apology instead of an answer (ChatTurnResult.errorCode). */
export type UnheardReason =
  'VOICE_OFF' | 'VOICE_TOO_LONG' | 'VOICE_UNAVAILABLE' | 'VOICE_UNREADABLE' | 'VOICE_EMPTY';

export type HeardVoice =
  | {
      kind: 'heard';
      /** The turn's text from here on (archived as the user's message, sent to the model). */
      transcript: string;
      /** Priced now, settled with the answer's records (never on its own). */
      record: TranscriptionUsageRecord;
    }
  | { kind: 'unheard'; reason: UnheardReason; texts: string[] };

/**
 * The voice step of a chat turn (workflows/chat-turn-steps.ts, patch chat-turn-voice): reads
 * the audio from LINE and transcribes it through the catalog's `voice` model on its tier's
 * endpoint. What will fail the same way again (too long, LINE no longer has the content, the
 * provider refuses the audio, no speech in it) is an `unheard` answer the turn apologises with,
 * free; the rest (connection errors, 5xx, 429) is thrown for the turn's bounded retries.
 */
export function createChatVoiceActivities(deps: ChatVoiceDeps) {
  const { catalog, logger } = deps;

  return withFailureClassification({
    async transcribeVoice(input: VoiceClip & { turnId: string }): Promise<HeardVoice> {
      const voice = catalog.voice;
      const unheard = (reason: UnheardReason, text: string): HeardVoice => {
        logger.info({ turnId: input.turnId, reason }, 'voice message not transcribed');
        return { kind: 'unheard', reason, texts: [text] };
      };
      if (!voice) return unheard('VOICE_OFF', catalog.messages.unsupportedMessage);
      const client = deps.llm[voice.endpointTier];
      if (!client)
        throw ApplicationFailure.nonRetryable(
          `no client for tier ${voice.endpointTier}`,
          'UNKNOWN_MODEL',
        );
      const tooLong = voice.tooLong.replaceAll('{seconds}', String(voice.maxSeconds));
      if ((input.durationMs ?? 0) > voice.maxSeconds * 1000)
        return unheard('VOICE_TOO_LONG', tooLong);

      let audio: Buffer;
      try {
        audio = await downloadVoice(deps.blob, input.messageId, voice.maxBytes);
      } catch (err) {
        if (err instanceof VoiceTooLarge) return unheard('VOICE_TOO_LONG', tooLong);
        // LINE keeps content for a limited time: a 404 now is a 404 on every retry.
        if (isFinalRejection(err)) return unheard('VOICE_UNAVAILABLE', voice.notUnderstood);
        throw err;
      }

      let heard: Awaited<ReturnType<typeof transcribe>>;
      try {
        heard = await transcribe(client, {
          model: voice.model,
          audio,
          ...(voice.language ? { language: voice.language } : {}),
        });
      } catch (err) {
        if (isFinalRejection(err)) return unheard('VOICE_UNREADABLE', voice.notUnderstood);
        throw err;
      }
      const transcript = sanitizeText(heard.text).trim();
      if (!transcript) return unheard('VOICE_EMPTY', voice.notUnderstood);
      // The provider's duration is what it bills; LINE's is the fallback when it reports none.
      const seconds = heard.seconds ?? (input.durationMs ?? 0) / 1000;
      const record = priceTranscription({ voice, rates: catalog.rates, seconds });
      logger.info(
        { turnId: input.turnId, model: voice.model, audioSeconds: record.audioSeconds },
        'voice message transcribed',
      );
      return { kind: 'heard', transcript, record };
    },
  });
}

export type ChatVoiceActivities = ReturnType<typeof createChatVoiceActivities>;
