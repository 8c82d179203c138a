import { BOT_NAME } from '../../api/dev/routes-groups';
import { makeLineUserId } from '../../stand-ins';
import {
  CHAT_ID,
  groupPostbackEvent,
  groupTextEvent,
  joinEvent,
  leaveEvent,
  makeChatId,
  mentionText,
  stickerEvent,
  webhookBody,
} from '../../stand-ins/line-webhook';
import { lineWebhookErrors } from '../support/line-openapi';

/**
 * The /dev simulator's group and room events (stand-ins/line-webhook.ts) are what LINE posts:
 * each body validated against LINE's webhook OpenAPI description, and the mention of the bot
 * where LINE puts it.
 */

const member = makeLineUserId('dev-group-member');
const bot = makeLineUserId('dev-group-bot');
const body = (event: unknown) => JSON.parse(webhookBody([event], bot)) as unknown;

describe('simulator group events', () => {
  it('makes group IDs "C" + 32 hex and room IDs "R" + 32 hex', () => {
    expect(makeChatId('group')).toMatch(/^C[0-9a-f]{32}$/);
    expect(makeChatId('room')).toMatch(/^R[0-9a-f]{32}$/);
    expect(makeChatId('group')).not.toBe(makeChatId('group'));
    expect(CHAT_ID.test(`U${'0'.repeat(32)}`)).toBe(false);
  });

  it('a member mentioning the bot: "@<bot name> …" with mentionees[{index, length, type, isSelf}]', () => {
    const groupId = makeChatId('group');
    const { text, mention } = mentionText(BOT_NAME, 'おすすめは？');
    const event = groupTextEvent(groupId, text, {
      userId: member,
      mentionees: [{ ...mention, isSelf: true }],
      replyToken: 'token',
    });
    expect(lineWebhookErrors(body(event))).toEqual([]);
    expect(event.source).toEqual({ type: 'group', groupId, userId: member });
    expect(event.message.text).toBe(`@${BOT_NAME} おすすめは？`);
    expect(event.message.mention).toEqual({
      mentionees: [{ index: 0, length: BOT_NAME.length + 1, type: 'user', isSelf: true }],
    });
    const m = event.message.mention!.mentionees[0]!;
    expect(text.slice(m.index, m.index + m.length)).toBe(`@${BOT_NAME}`);
  });

  it('plain chat in a room carries no mention', () => {
    const roomId = makeChatId('room');
    const event = groupTextEvent(roomId, 'こんにちは', { userId: member, replyToken: 't' });
    expect(lineWebhookErrors(body(event))).toEqual([]);
    expect(event.source).toEqual({ type: 'room', roomId, userId: member });
    expect(event.message).not.toHaveProperty('mention');
  });

  it('a member’s tap, join (reply token, no user) and leave (neither) match LINE', () => {
    const groupId = makeChatId('group');
    const tap = groupPostbackEvent(groupId, 'action=collect&turn=x', {
      userId: member,
      replyToken: 'p',
    });
    const join = joinEvent(groupId, { replyToken: 'j' });
    const leave = leaveEvent(groupId);
    for (const event of [tap, join, leave]) expect(lineWebhookErrors(body(event))).toEqual([]);
    expect(join.source).toEqual({ type: 'group', groupId });
    expect(leave.source).toEqual({ type: 'group', groupId });
    expect(leave).not.toHaveProperty('replyToken');
    // The validator bites: LINE's join always carries a reply token.
    expect(lineWebhookErrors(body(joinEvent(groupId, {})))).not.toEqual([]);
  });
});

describe('simulator sticker event', () => {
  it('a LINE sticker the user sends matches LINE', () => {
    const event = stickerEvent(member, '446', '1988', { replyToken: 's' });
    expect(lineWebhookErrors(body(event))).toEqual([]);
    expect(event.message).toMatchObject({ type: 'sticker', packageId: '446', stickerId: '1988' });
  });
});
