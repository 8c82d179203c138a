import type { LocalActivityOptions } from '@temporalio/common';
import type { VoiceClip } from '../../activities/chat-voice';
import type { LineInboundEvent } from '../../domain/line-events';

/**
 * Voice messages (issue #14), the workflow side: the session starts a chat turn for an audio
 * message (patch VOICE_MESSAGES in workflows/line-user-session.ts), and the turn transcribes it
 * before its usual steps (patch VOICE_TURN in workflows/chat-turn-steps.ts).
 */

/**
 * Patch (session): an audio message is a chat turn. Runs from before answered it with "not
 * supported yet" (answerWithoutTurn), and replay so.
 */
export const VOICE_MESSAGES = 'voice-messages';

/** Patch (chat turn): the turn's voice is transcribed first; its transcript is the turn's text. */
export const VOICE_TURN = 'chat-turn-voice';

/**
 * The transcription step: a download from LINE and one call to the provider, up to 90 s each
 * attempt (a few minutes of audio). Three attempts for what may pass (5xx, 429, connection);
 * what cannot is answered by the activity itself (an `unheard` result) or fails non-retryably.
 */
export const VOICE_STEP_OPTIONS: LocalActivityOptions = {
  startToCloseTimeout: '90 seconds',
  scheduleToCloseTimeout: '5 minutes',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '10 seconds',
    maximumAttempts: 3,
  },
};

/** The session's input of a voice turn: a text event stand-in (its text is the transcript). */
export interface VoiceTurnStart {
  event: Extract<LineInboundEvent, { type: 'text' }>;
  voice: VoiceClip;
}

/** A voice message's chat turn input, or undefined for anything else (video, location, file). */
export function voiceTurnOf(event: LineInboundEvent): VoiceTurnStart | undefined {
  if (event.type !== 'unsupported' || event.messageType !== 'audio') return undefined;
  // Events recorded before voice carry no message ID; external content cannot be downloaded.
  if (!event.messageId || event.contentProvider !== 'line') return undefined;
  return {
    event: {
      type: 'text',
      webhookEventId: event.webhookEventId,
      lineUserId: event.lineUserId,
      timestamp: event.timestamp,
      isRedelivery: event.isRedelivery,
      ...(event.replyToken ? { replyToken: event.replyToken } : {}),
      text: '',
      messageId: event.messageId,
    },
    voice: {
      messageId: event.messageId,
      ...(event.durationMs !== undefined ? { durationMs: event.durationMs } : {}),
    },
  };
}
