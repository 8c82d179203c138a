/**
 * The tests build and post LINE webhooks with the same module as the /dev simulator: one-to-one
 * events and group and room events (../../stand-ins/line-webhook.ts).
 */
export {
  audioEvent,
  followEvent,
  groupStickerEvent,
  groupTextEvent,
  imageEvent,
  joinEvent,
  leaveEvent,
  lineSignature,
  makeChatId,
  memberJoinedEvent,
  mentionBotEvent,
  postLineWebhook,
  postbackEvent,
  textEvent,
  unfollowEvent,
  webhookBody,
  webhookEventId,
  type EventOptions,
  type GroupEventOptions,
  type Mentionee,
} from '../../stand-ins/line-webhook';
