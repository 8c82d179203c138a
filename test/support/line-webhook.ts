/** The tests build and post LINE webhooks with the same module as the /dev simulator. */
export {
  followEvent,
  imageEvent,
  lineSignature,
  postLineWebhook,
  textEvent,
  unfollowEvent,
  webhookBody,
  webhookEventId,
  type EventOptions,
} from '../../stand-ins/line-webhook';
