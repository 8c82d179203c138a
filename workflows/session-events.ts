import {
  ActivityFailure,
  type ChildWorkflowOptions,
  ChildWorkflowFailure,
  executeChild,
  log,
  ParentClosePolicy,
  patched,
  proxyLocalActivities,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Workflow } from '@temporalio/common';
import { workSearchAttributes, type WorkKind } from '../config/task-queues';
import { parseCommand } from '../domain/commands';
import type { LineInboundEvent } from '../domain/line-events';
import type { LineNativeActivities } from '../activities/line-native';
import { parseCollectPostbackData, parsePostbackData } from '../domain/line-ui/postback';
import type { FreeAnswerInput } from '../activities/line-native';
import { chatTurn, type ChatTurnInput } from './chat-turn';
import { runChatTurn } from './chat-turn-steps';
import { lineFollow } from './line-follow';
import { stampPhotoCancel } from './stamp-photo-cancel';
import { stampPhotoIntake } from './stamp-photo-intake';
import { stampTextsIntake } from './stamp-texts-intake';
import { askAboutPhoto, IMAGE_QUESTION, promptWithoutPhoto } from './session-image-question';
import { isImageQuestionRequest } from '../domain/image-question';
import { VOICE_MESSAGES, voiceTurnOf } from './support/voice';
import { SESSION_BUSY_REPLY_OPTIONS } from './support/activity-options';
import { failureTypeOf } from './support/failures';
import { chatTurnId, eventChildWorkflowId } from './support/ids';
import { stampTaskQueue } from './support/task-queues';

/**
 * What the user's session (workflows/line-user-session.ts) does with each event it takes, in
 * order: a chat turn, a sticker step, a follow, a free answer, each as a child workflow named
 * after the event. Kept apart from the session's queue and lifecycle so each reads on its own.
 */

/** A stamp photo waiting for its sticker texts: the user's next text message supplies them. */
export interface PendingStampPhoto {
  queueId: string;
  /** ISO 8601 */
  expiresAt: string;
  /** Since IMAGE_QUESTION: the next texts are questions about the photo (absent: sticker texts). */
  mode?: 'stamp' | 'question';
}

/**
 * Patch: each chat turn is its own child workflow `chat-<webhookEventId>` (workflows/chat-turn)
 * instead of local activities inside the session. Runs from before keep the inline turn.
 */
export const CHAT_TURN_CHILD_WORKFLOW = 'chat-turn-child-workflow';
/**
 * Patch: waiting messages capped (count and bytes); beyond the caps an event is kept as a small
 * reference and answered with the busy reply (workflows/support/waiting.ts).
 */
export const BOUNDED_WAITING = 'bounded-waiting-messages';
/**
 * Patch: postbacks, stickers and video/audio/location/file messages get an answer (issue #14).
 * Runs from before never held such events (the webhook ignored them), so this guards only a
 * worker rolled back mid-deploy from meeting commands it never issued.
 */
export const LINE_NATIVE_EVENTS = 'line-native-events';
/**
 * Patch: 「マイスタンプ」 and 「プラン管理」 are commands. In runs from before they were text (a
 * chat turn, or a waiting photo's sticker texts), and must replay as such.
 */
export const MY_STAMPS_AND_PLAN_COMMANDS = 'commands-my-stamps-manage-plan';
const LATER_COMMANDS: ReadonlySet<string> = new Set(['myStamps', 'managePlan']);
/**
 * Patch: 「検索 …」 / `search …` is a web search, answered by a chat turn on the plan's search
 * tier (the turn's tier override). In runs from before it was text, and must replay as such.
 */
export const SEARCH_COMMAND = 'command-search';
/**
 * Patch: a 「回答を受け取る」 tap that reaches the session (its turn is over: the inbox relay
 * signals a running turn itself, workflows/chat-turn-collect.ts) gets a free "already sent".
 * Runs from before ignored postbacks they did not understand.
 */
export const ANSWER_SENT_TAP = 'collect-tap-answer-sent';
const SEARCH_COMMANDS: ReadonlySet<string> = new Set(['search']);

/** The text's command, as the run's code version knew commands. */
function commandOf(text: string) {
  const command = parseCommand(text);
  if (command && LATER_COMMANDS.has(command.kind) && !patched(MY_STAMPS_AND_PLAN_COMMANDS))
    return undefined;
  if (command && SEARCH_COMMANDS.has(command.kind) && !patched(SEARCH_COMMAND)) return undefined;
  return command;
}

/** A chat turn's own workflow may run this long (its steps' bounds add up to well under it). */
export const CHAT_TURN_RUN_TIMEOUT = '1 hour';

/** Free answers without a turn: bounded like the busy reply (a reply, else a push). */
const native = proxyLocalActivities<LineNativeActivities>(SESSION_BUSY_REPLY_OPTIONS);

/** Runs one event (a chat turn here, the rest as child workflows); returns the stamp photo still pending afterwards. */
export async function handleEvent(
  event: LineInboundEvent,
  stampPhoto: PendingStampPhoto | undefined,
  /** The user's next messages already wait in the session behind this one. */
  othersWaiting = false,
): Promise<PendingStampPhoto | undefined> {
  const id = event.webhookEventId;
  const runTurn = (input: ChatTurnInput, staticSummary = chatTurnSummary(input)) =>
    runChild(
      chatTurn,
      chatTurnId(id),
      'chat',
      [othersWaiting ? { ...input, othersWaiting } : input],
      event.lineUserId,
      undefined,
      { staticSummary, workflowRunTimeout: CHAT_TURN_RUN_TIMEOUT },
    );
  switch (event.type) {
    case 'follow':
    case 'unfollow':
      await runChild(
        lineFollow,
        eventChildWorkflowId(event.type, id),
        event.type,
        [event],
        event.lineUserId,
      );
      return stampPhoto;
    case 'image': {
      const result = await runChild(
        stampPhotoIntake,
        eventChildWorkflowId('stamp-photo', id),
        'stamp',
        [event],
        event.lineUserId,
        'stamp',
      );
      // A new photo replaces the one waiting (the intake marked the old one superseded).
      return result?.accepted
        ? { queueId: result.queueId, expiresAt: result.expiresAt }
        : stampPhoto;
    }
    case 'sticker':
    case 'unsupported': {
      // A voice message is a chat turn that transcribes it first (workflows/support/voice.ts).
      const voice = voiceTurnOf(event);
      if (voice && patched(VOICE_MESSAGES)) {
        await runTurn(voice, 'chat turn: voice message');
        return stampPhoto;
      }
      if (patched(LINE_NATIVE_EVENTS)) await answerWithoutTurn(event, event.type);
      return stampPhoto;
    }
    case 'postback': {
      if (parseCollectPostbackData(event.data) && patched(ANSWER_SENT_TAP)) {
        await answerWithoutTurn(event, 'answerSent');
        return stampPhoto;
      }
      // A tap on the bot's own button is a command, answered by a chat turn like a typed one.
      const pick = parsePostbackData(event.data);
      if (!pick) {
        log.info('postback not understood; ignored', { webhookEventId: id });
        return stampPhoto;
      }
      if (!patched(LINE_NATIVE_EVENTS)) return stampPhoto;
      const input: ChatTurnInput = {
        event: {
          type: 'text',
          webhookEventId: id,
          lineUserId: event.lineUserId,
          timestamp: event.timestamp,
          isRedelivery: event.isRedelivery,
          ...(event.replyToken ? { replyToken: event.replyToken } : {}),
          text: '',
          messageId: '',
        },
        command: { kind: 'buy', productId: pick.productId },
      };
      await runTurn(input);
      return stampPhoto;
    }
    case 'text': {
      const command = commandOf(event.text);
      if (stampPhoto && command?.kind === 'cancel') {
        await runChild(
          stampPhotoCancel,
          eventChildWorkflowId('stamp-cancel', id),
          'stamp',
          [{ event, queueId: stampPhoto.queueId }],
          event.lineUserId,
          'stamp',
        );
        return undefined;
      }
      if (stampPhoto && !command && patched(IMAGE_QUESTION)) {
        // A question about the photo instead of its sticker texts (workflows/session-image-question).
        const asked = await askAboutPhoto(event, stampPhoto, (input) => runTurn(input));
        if (asked.handled) return asked.photo;
        stampPhoto = asked.photo;
      }
      if (stampPhoto && !command) {
        const result = await runChild(
          stampTextsIntake,
          eventChildWorkflowId('stamp-texts', id),
          'stamp',
          [{ event, queueId: stampPhoto.queueId }],
          event.lineUserId,
          'stamp',
        );
        if (result?.reason !== 'NO_PENDING_PHOTO') return result?.pending ? stampPhoto : undefined;
        stampPhoto = undefined; // the photo was gone after all: this text is a chat message
      }
      // 「この画像について質問」 without a photo: send one first (free), not a turn on the words.
      if (
        !stampPhoto &&
        !command &&
        isImageQuestionRequest(event.text) &&
        patched(IMAGE_QUESTION)
      ) {
        await promptWithoutPhoto(event);
        return undefined;
      }
      if (patched(CHAT_TURN_CHILD_WORKFLOW)) {
        // A search is the model's (a charged turn on the search tier), never runCommand's.
        const input: ChatTurnInput =
          command?.kind === 'search'
            ? { event, tierOverride: { tier: 'search', question: command.question } }
            : { event, ...(command ? { command } : {}) };
        const result = await runTurn(input);
        if (!result) log.warn('chat turn ended without a result', { webhookEventId: id });
        return stampPhoto;
      }
      // deprecated: remove with deprecatePatch(CHAT_TURN_CHILD_WORKFLOW) once no pre-patch run
      // is open. The turn inline, as runs from before recorded it.
      try {
        // Never a search here: a run this old parses 「検索 …」 as text (SEARCH_COMMAND).
        await runChatTurn(event, command?.kind === 'search' ? undefined : command);
      } catch (err) {
        // A step gave up even on its apology (LINE unreachable for minutes): the turn is over,
        // the session goes on with the next event.
        if (!(err instanceof ActivityFailure)) throw err;
        log.warn('chat turn gave up', { webhookEventId: id, activity: err.activityType });
      }
      return stampPhoto;
    }
  }
}

/** A free answer without a turn (sticker, unsupported, a late tap); a failed one is logged. */
async function answerWithoutTurn(
  event: Extract<LineInboundEvent, { type: 'sticker' | 'unsupported' | 'postback' }>,
  kind: FreeAnswerInput['kind'],
): Promise<void> {
  try {
    await native.answerWithoutTurn({
      kind,
      webhookEventId: event.webhookEventId,
      lineUserId: event.lineUserId,
      ...(event.replyToken ? { replyToken: event.replyToken } : {}),
      timestamp: event.timestamp,
    });
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    log.warn('free answer gave up', {
      webhookEventId: event.webhookEventId,
      errorType: failureTypeOf(err),
    });
  }
}

/**
 * Starts a child with a business ID and waits for it. A child that already ran (a redelivered
 * event after the session ended) is skipped; a child that failed has told the user itself.
 */
export async function runChild<W extends Workflow>(
  workflow: W,
  workflowId: string,
  kind: WorkKind,
  args: Parameters<W>,
  lineUserId: string,
  queue?: 'stamp',
  extra: Pick<ChildWorkflowOptions, 'staticSummary' | 'workflowRunTimeout'> = {},
): Promise<Awaited<ReturnType<W>> | undefined> {
  try {
    const options = {
      ...extra,
      workflowId,
      args: args as unknown[],
      ...(queue ? { taskQueue: stampTaskQueue() } : {}),
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      // A turn already started keeps going even if this session continues as new.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      typedSearchAttributes: workSearchAttributes(lineUserId, kind),
    } satisfies ChildWorkflowOptions & { args: unknown[] };
    // By type name: the typed overloads do not resolve for a generic workflow parameter.
    return (await executeChild<Workflow>(workflow.name, options)) as Awaited<ReturnType<W>>;
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return undefined;
    if (err instanceof ChildWorkflowFailure) return undefined;
    throw err;
  }
}

/** The turn's one-line summary in the session's history and the workflow list (no user text). */
export function chatTurnSummary(input: ChatTurnInput): string {
  if (input.command) return `chat turn: command ${input.command.kind}`;
  if (input.image)
    return `chat turn: question about a photo, ${Array.from(input.event.text).length} characters`;
  if (input.tierOverride)
    return `chat turn: ${input.tierOverride.tier} of ${Array.from(input.tierOverride.question).length} characters`;
  return `chat turn: text of ${Array.from(input.event.text).length} characters`;
}
