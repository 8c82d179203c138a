import {
  type ApplicationFailure,
  type LocalActivityOptions,
  log,
  patched,
  proxyLocalActivities,
} from '@temporalio/workflow';
import type {
  ChatActivities,
  CommandAnswer,
  GeneratedReply,
  PreparedTurn,
  TierOverride,
} from '../activities/chat';
import type { ChatVoiceActivities, VoiceClip } from '../activities/chat-voice';
import type { TurnImage } from '../activities/chat-vision';
import { archivedImageQuestion, IMAGE_GONE_TEXT } from '../domain/image-question';
import type { LedgerActivities } from '../activities/ledger';
import type { LineMessagingActivities } from '../activities/line-messaging';
import type { Command } from '../domain/commands';
import { ERROR_CODES } from '../domain/errors';
import type { LineInboundEvent } from '../domain/line-events';
import type { TranscriptionUsageRecord } from '../domain/pricing';
import {
  CHAT_APOLOGY_OPTIONS,
  CHAT_LEDGER_WRITE_OPTIONS,
  CHAT_STEP_OPTIONS,
  LEDGER_ACTIVITY_OPTIONS,
  LINE_REPLY_OPTIONS,
  local,
} from './support/activity-options';
import { deliverSettledAnswer, REFUND_UNDELIVERED } from './chat-turn-answer';
import { tapToCollect } from './chat-turn-collect';
import { applicationFailureOf } from './support/failures';
import { chatTurnId } from './support/ids';
import { VOICE_STEP_OPTIONS, VOICE_TURN } from './support/voice';

/**
 * Patch: prepare, reserve and the loading animation as one local activity (two steps and two
 * workflow activations fewer per turn: issue #12's cheaper turn). Turns recorded before run the
 * three steps apart.
 */
export const PREPARE_AND_RESERVE = 'chat-turn-prepare-reserve';
/**
 * Patch: 「検索 …」 turns ask the plan's search tier with the question (the turn's
 * `tierOverride`), and a plan without one is refused with the plans that have it. Only turns
 * started with an override call it, so recorded turns replay as they were.
 */
export const CHAT_TURN_SEARCH = 'chat-turn-search';
/**
 * Patch: a question about the user's waiting photo (the turn's `image`) is asked on the plan's
 * vision tier, the model step loading the photo by its queue ID (never the bytes in history),
 * and archived with a marker; a plan without one is refused. Only turns started with an image
 * call it, so recorded turns replay as they were.
 */
export const CHAT_TURN_VISION = 'chat-turn-vision';

/**
 * Patch: a group's or room's turn (its event's `conversation`, from workflows/line-group-session)
 * reads and writes the group's history and is delivered to the group. Only such turns call it,
 * so one-to-one turns issue the same commands as before; a worker without it fails the group
 * turn's replay instead of answering in the member's one-to-one chat.
 */
export const CHAT_TURN_GROUP = 'chat-turn-group';

/** A turn's tier chosen by the user's command instead of the plan's (since CHAT_TURN_SEARCH). */
export interface ChatTierOverride {
  tier: TierOverride;
  /** What the model is asked: the text without the command's prefix. */
  question: string;
}

/**
 * The steps of one chat turn, all LOCAL activities: they run in the worker that runs the turn
 * and each result is recorded as a marker. Since patch `chat-turn-child-workflow` the turn is
 * its own child workflow (workflows/chat-turn.ts), and each step carries a summary an operator
 * reads in the Web UI; sessions from before run the same steps inline, unlabelled.
 *
 * Every step is idempotent by the turn ID (chat-<webhookEventId>): if the worker dies mid-turn,
 * another replays it; recorded steps are not run again, the others find their effect (the
 * reserve its hold, the settlement its charge and archived answer). The model call is the one
 * step that can happen twice (a cost to us, never to the user).
 *
 * Nothing retries for ever: deterministic errors are non-retryable (activities/support/
 * failures.ts), the rest are bounded (workflows/support/activity-options.ts). A turn that cannot
 * complete releases its hold and daily slot, apologises once and ends as `failed`.
 */

export type ChatTurnOutcome = 'command' | 'replied' | 'answered' | 'rejected' | 'failed';

export interface ChatTurnResult {
  outcome: ChatTurnOutcome;
  errorCode?: string;
  pointsCharged?: number;
  /** Failed turns: the step that gave up. */
  failedStep?: ChatTurnStep;
  /** One line an operator reads: what happened, in order. */
  summary?: string;
}

export type ChatTurnStep =
  'command' | 'transcribe' | 'prepare' | 'reserve' | 'model' | 'settle' | 'reply';

const chat = proxyLocalActivities<ChatActivities>(CHAT_STEP_OPTIONS);

/** The model call: a few quick retries (429/5xx), then the fallback tier takes over. */
const llm = proxyLocalActivities<ChatActivities>({
  startToCloseTimeout: '90 seconds',
  retry: {
    initialInterval: '500 milliseconds',
    backoffCoefficient: 2,
    maximumAttempts: 3,
    nonRetryableErrorTypes: ['LLM_REJECTED', 'UNKNOWN_MODEL'],
  },
});

/** Settlement and a hold's release: until the database is back, within 10 minutes. */
const settle = proxyLocalActivities<ChatActivities>(CHAT_LEDGER_WRITE_OPTIONS);
const ledger = proxyLocalActivities<LedgerActivities>(local(LEDGER_ACTIVITY_OPTIONS));
const compensate = proxyLocalActivities<LedgerActivities>(CHAT_LEDGER_WRITE_OPTIONS);

const line = proxyLocalActivities<LineMessagingActivities>(local(LINE_REPLY_OPTIONS));
/** A voice message's transcription (activities/chat-voice.ts): bounded, see its options. */
const voiceSteps = proxyLocalActivities<ChatVoiceActivities>(VOICE_STEP_OPTIONS);
const apology = proxyLocalActivities<LineMessagingActivities>(CHAT_APOLOGY_OPTIONS);

type LocalFn<A extends unknown[], R> = ((...args: A) => Promise<R>) & {
  executeWithOptions(options: LocalActivityOptions, args: A): Promise<R>;
};

/** Runs a step, with its summary when the turn is labelled (its own workflow). */
function stepRunner(labelled: boolean) {
  return <A extends unknown[], R>(fn: LocalFn<A, R>, summary: string, ...args: A): Promise<R> =>
    labelled ? fn.executeWithOptions({ summary }, args) : fn(...args);
}

/** What the session knows of a turn beyond its text (workflows/chat-turn.ts ChatTurnInput). */
export interface TurnExtras {
  /** 「検索 …」: the tier and the question, from the session's parsed text. */
  tierOverride?: ChatTierOverride;
  /** A voice message (patch chat-turn-voice): transcribed before prepare. */
  voice?: VoiceClip;
  /** A question about the waiting photo (patch chat-turn-vision): its queue ID only. */
  image?: TurnImage;
  /** The user's next messages wait behind this turn: it never holds them for a tap. */
  othersWaiting?: boolean;
}

/**
 * One chat turn: commands and canned replies first; otherwise check limits and reserve points,
 * call the model, settle the real cost, reply. A failure before settlement releases the hold
 * and the daily slot (saga compensation) and apologises; nothing is charged.
 */
export async function runChatTurn(
  event: Extract<LineInboundEvent, { type: 'text' }>,
  /** The text parsed once by the session (domain/commands.ts), so both decide alike. */
  command: Command | undefined,
  /** Step summaries for the Web UI (the child workflow); off for the inline path of old runs. */
  labelled = false,
  /** What the session added to the text: search tier, voice, photo, others waiting. */
  { tierOverride, voice, image, othersWaiting = false }: TurnExtras = {},
): Promise<ChatTurnResult> {
  const turnId = chatTurnId(event.webhookEventId);
  const override = tierOverride && patched(CHAT_TURN_SEARCH) ? tierOverride : undefined;
  const group = event.conversation && patched(CHAT_TURN_GROUP) ? event.conversation : undefined;
  /** A group turn's history, archive and loading animation: the group's (activities/chat.ts). */
  const inGroup = group ? { conversation: group } : {};
  const photo = image && patched(CHAT_TURN_VISION) ? { queueId: image.queueId } : undefined;
  /** What the model is asked and what prepare checks; the archive keeps the text as sent. */
  let asked: { text: string; tierOverride?: ChatTierOverride['tier']; image?: TurnImage } = override
    ? { text: override.question, tierOverride: override.tier }
    : photo
      ? { text: event.text, image: photo }
      : { text: event.text };
  /** The model step's photo: loaded by the activity from S3, checked to be this user's. */
  const attached = photo ? { image: { ...photo, lineUserId: event.lineUserId } } : {};
  const run = stepRunner(labelled);
  const done: string[] = [];
  // A command may answer with LINE message objects (quick replies, Flex); turns recorded
  // before that answered with texts, which replay as they were.
  const deliver = (answer: CommandAnswer, what: string, via: typeof line = line) =>
    run(
      via.deliverMessages,
      `${what}: ${event.replyToken ? 'reply by token, else push' : 'push'}`,
      {
        lineUserId: event.lineUserId,
        ...(group ? { to: group.id } : {}),
        ...(Array.isArray(answer) ? { texts: answer } : { texts: [], messages: answer.messages }),
        replyToken: event.replyToken,
        eventTimestamp: event.timestamp,
        deliveryId: turnId,
      },
    );
  let step: ChatTurnStep = command ? 'command' : 'prepare';

  let prepared: Awaited<ReturnType<ChatActivities['prepareChatTurn']>> | undefined;
  /** A voice turn's transcription, settled with the answer's records. */
  let transcription: TranscriptionUsageRecord | undefined;
  let reserved = false;
  /** The merged prepare-and-reserve step failed: a hold may exist (its attempt timed out). */
  let holdUnknown = false;
  let loading: Promise<void> | undefined;
  /** From the reserve on: the part the inline path of old runs compensated too. */
  let inSaga = false;
  try {
    if (command) {
      const answer = await run(chat.runCommand, `command: ${command.kind}`, {
        lineUserId: event.lineUserId,
        turnId,
        command,
      });
      step = 'reply';
      await deliver(answer, 'answer');
      return { outcome: 'command', summary: `command ${command.kind}, answered` };
    }

    if (voice && labelled && patched(VOICE_TURN)) {
      // A voice message: transcribed first, its transcript is the turn's text from here on, and
      // the transcription's record is settled with the answer's (never charged on its own). A
      // recording it cannot read gets a free apology; a step that gives up, the usual one.
      step = 'transcribe';
      const heard = await run(voiceSteps.transcribeVoice, 'transcribe the voice message', {
        turnId,
        ...voice,
      });
      if (heard.kind === 'unheard') {
        step = 'reply';
        await deliver(heard.texts, `voice not transcribed (${heard.reason})`);
        return {
          outcome: 'rejected',
          errorCode: heard.reason,
          summary: `voice not transcribed: ${heard.reason} (no model, no charge)`,
        };
      }
      event = { ...event, text: heard.transcript };
      asked = { text: heard.transcript };
      transcription = heard.record;
      done.push(`transcribed ${heard.record.audioSeconds} s of audio`);
      step = 'prepare';
    }

    if (labelled && patched(PREPARE_AND_RESERVE)) {
      // One step: prepare, hold the estimate, start the loading animation (activities/chat.ts).
      inSaga = true;
      holdUnknown = true;
      prepared = await run(
        chat.prepareAndReserveTurn,
        `prepare and reserve: user, prompt, history, hold the estimate${override ? ` (${override.tier})` : ''}`,
        { lineUserId: event.lineUserId, ...asked, turnId, ...inGroup },
      );
      holdUnknown = false;
      if (prepared.kind === 'reply') return await answerWithoutModel(prepared);
    } else {
      prepared = await run(chat.prepareChatTurn, 'prepare: user, prompt, history, estimate', {
        lineUserId: event.lineUserId,
        ...asked,
      });
      if (prepared.kind === 'reply') return await answerWithoutModel(prepared);

      step = 'reserve';
      inSaga = true;
      await run(ledger.reserveTurn, `reserve ${prepared.estimatePoints} pt (estimate)`, {
        turnId,
        userId: prepared.userId,
        estimatePoints: prepared.estimatePoints,
      });
      // The loading animation goes out alongside the model call, not before it: it is cosmetic
      // (showLoading never fails the turn), and waiting for it would delay the answer.
      loading = run(line.showLoading, 'loading animation', {
        lineUserId: event.lineUserId,
        seconds: prepared.loadingSeconds,
      });
    }
    reserved = true;
    done.push(`reserved ${prepared.estimatePoints} pt`);
    step = 'model';
    // A slow answer: a notice on the message's token, the answer on the tap's (since the patch).
    const collect =
      labelled && !othersWaiting ? tapToCollect(event, turnId, prepared.collect, done) : undefined;

    let reply: GeneratedReply;
    const messages = prepared.messages;
    try {
      reply = await run(
        llm.generateReply,
        `model ${prepared.tierId}${photo ? ' (with the photo)' : ''}`,
        {
          tierId: prepared.tierId,
          messages,
          ...attached,
        },
      );
    } catch (err) {
      const fallback = prepared.fallbackTierId;
      if (!fallback) throw err;
      reply = await run(llm.generateReply, `model ${fallback} (fallback)`, {
        tierId: fallback,
        messages,
        ...attached,
      });
    } finally {
      await loading?.catch(() => undefined);
      await collect?.modelDone();
    }
    done.push(`model ${reply.tierId}: ${reply.model}`);

    step = 'settle';
    const searched = reply.searchCount > 0 ? `${reply.searchCount} search` : '';
    const tokens = `${reply.inputTokens} in + ${reply.outputTokens} out tokens${searched ? ` + ${searched}` : ''}`;
    const { pointsCharged, answer } = await run(
      settle.settleChatTurn,
      `settle: charge ${reply.model} for ${tokens}`,
      {
        turnId,
        userId: prepared.userId,
        // A question about a photo is archived with a marker, never the image.
        userText: photo ? archivedImageQuestion(event.text) : event.text,
        reply,
        ...(transcription ? { transcription } : {}),
        ...inGroup,
      },
    );
    reserved = false;
    done.push(`charged ${pointsCharged} pt${searched ? ` (with ${searched})` : ''}`);
    step = 'reply';
    if (labelled && patched(REFUND_UNDELIVERED))
      return await (collect?.deliver ?? deliverSettledAnswer)({
        event,
        turnId,
        userId: prepared.userId,
        answer,
        pointsCharged,
        maxDeliveryWaitSeconds: prepared.maxDeliveryWaitSeconds,
        done,
      });
    // deprecated: turns from before the patch (and the inline turn) keep the charge.
    const delivered = await deliver([answer], 'answer');
    done.push(`delivered by ${delivered.via}`);
    return { outcome: 'answered', pointsCharged, summary: done.join(', ') };
  } catch (err) {
    // deprecated (with patch chat-turn-child-workflow): inline runs from before let a failed
    // command, canned reply or prepare step end the turn without an apology.
    if (!labelled && !inSaga) throw err;
    return await endFailedTurn(err);
  }

  /** A canned reply, a too-long message, or a refusal before any hold: free. */
  async function answerWithoutModel(
    reply: Extract<PreparedTurn, { kind: 'reply' }>,
  ): Promise<ChatTurnResult> {
    step = 'reply';
    if (!reply.refusal) {
      await deliver(reply.texts, 'canned reply');
      return { outcome: 'replied', summary: 'canned reply (no model, no charge)' };
    }
    // With the plans that would allow it, as buttons (the texts say the same without them).
    await deliver(reply.messages ? { messages: reply.messages } : reply.texts, 'refusal');
    const why =
      reply.refusal === 'IMAGE_GONE'
        ? 'the photo is gone'
        : `${override?.tier ?? (photo ? 'vision' : 'tier')} not in the plan`;
    return {
      outcome: 'rejected',
      errorCode: reply.refusal,
      summary: `refused: ${reply.refusal} (${why}), no charge`,
    };
  }

  /** Compensation, the one apology and the outcome; never throws an activity's failure. */
  async function endFailedTurn(err: unknown): Promise<ChatTurnResult> {
    const failure = applicationFailureOf(err);
    const businessCode = ERROR_CODES.find((code) => code === failure?.type);
    const errorType = businessCode ?? failure?.type ?? activityErrorType(err);
    const holder = prepared?.kind === 'llm' ? prepared.userId : undefined;
    if ((reserved && holder) || (holdUnknown && !businessCode)) {
      try {
        await run(compensate.releaseTurn, 'release the hold and the daily slot', {
          turnId,
          ...(holder ? { userId: holder } : {}),
        });
        done.push('hold released');
      } catch (releaseErr) {
        // Bounded: the ledger's stale-hold sweep ends it later.
        log.error('chat turn could not release its hold', {
          turnId,
          errorType: activityErrorType(releaseErr),
        });
      }
    }
    // The photo vanished between prepare and the model step (its deadline, a purge): said so.
    const gone = photo !== undefined && failure?.type === 'IMAGE_GONE';
    try {
      const texts = gone
        ? [IMAGE_GONE_TEXT]
        : await run(chat.composeErrorReply, `apology text (${errorType})`, {
            lineUserId: event.lineUserId,
            code: businessCode ?? 'SYSTEM_ERROR',
            resetTime: resetTimeOf(failure),
            ...(businessCode ? {} : { failure: { turnId, step, errorType } }),
          });
      await deliver(
        texts,
        gone ? 'the photo is gone' : businessCode ? 'refusal' : 'apology',
        apology,
      );
    } catch (apologyErr) {
      // Even the apology failed (LINE unreachable): logged; the session goes on.
      log.error('chat turn could not apologise', {
        turnId,
        step,
        errorType: activityErrorType(apologyErr),
      });
    }
    if (businessCode || gone)
      return {
        outcome: 'rejected',
        errorCode: businessCode ?? 'IMAGE_GONE',
        summary: [...done, `refused: ${businessCode ?? 'IMAGE_GONE (the photo is gone)'}`].join(
          ', ',
        ),
      };
    return {
      outcome: 'failed',
      errorCode: errorType,
      failedStep: step,
      summary: [...done, `failed at ${step}: ${errorType}`].join(', '),
    };
  }
}

/** The failure's type for logs and metrics: an ApplicationFailure's type, else the error's name. */
function activityErrorType(err: unknown): string {
  const failure = applicationFailureOf(err);
  if (failure?.type) return failure.type;
  const cause = (err as { cause?: { name?: unknown } } | undefined)?.cause;
  return typeof cause?.name === 'string' ? cause.name : 'SYSTEM_ERROR';
}

function resetTimeOf(failure: ApplicationFailure | undefined): string | undefined {
  const details = failure?.details?.[0] as { resetTime?: unknown } | undefined;
  return typeof details?.resetTime === 'string' ? details.resetTime : undefined;
}
