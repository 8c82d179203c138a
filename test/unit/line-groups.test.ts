import {
  addressedText,
  isAccepted,
  isInbound,
  NO_SENDER,
  NOT_ADDRESSED,
  sessionKeyOf,
  toInboundEvent,
} from '../../domain/line-events';
import {
  groupStickerEvent,
  groupTextEvent,
  joinEvent,
  leaveEvent,
  makeChatId,
  memberJoinedEvent,
  mentionBotEvent,
  textEvent,
} from '../support/line-webhook';

/** Groups and rooms (issue #14 item 7): what the webhook makes of their events. */

const member = 'U' + 'a'.repeat(32);
const prefixes = ['@AI', 'AI、'];
const parse = (raw: unknown) => toInboundEvent(raw, { groupPrefixes: prefixes });

describe('group and room events', () => {
  const group = makeChatId('group');
  const room = makeChatId('room');

  test('a mention of the bot is a text turn of the sender, in the group, without the mention', () => {
    const event = parse(
      mentionBotEvent(group, '東京の天気は？', { userId: member, replyToken: 't' }),
    );
    expect(event).toMatchObject({
      type: 'text',
      lineUserId: member,
      conversation: { kind: 'group', id: group },
      text: '東京の天気は？',
      replyToken: 't',
    });
    expect(isInbound(event) && sessionKeyOf(event)).toBe(`group:${group}`);
  });

  test('a room works the same way', () => {
    const event = parse(mentionBotEvent(room, 'hello', { userId: member }));
    expect(event).toMatchObject({ conversation: { kind: 'room', id: room }, text: 'hello' });
  });

  test('the mention is cut by UTF-16 index and length, wherever it stands', () => {
    // "😀" is two UTF-16 units: the mention starts at 3, not 2.
    const text = '😀 @Bot 教えて';
    const event = parse(
      groupTextEvent(group, text, {
        userId: member,
        mentionees: [{ index: 3, length: 4, isSelf: true }],
      }),
    );
    expect(isInbound(event) && event.type === 'text' && event.text).toBe('😀 教えて');
  });

  test('a mention of someone else only is not for the bot', () => {
    const event = parse(
      groupTextEvent(group, '@Taro 明日どう？', {
        userId: member,
        mentionees: [{ index: 0, length: 5, isSelf: false, userId: 'U' + 'b'.repeat(32) }],
      }),
    );
    expect(event).toMatchObject({ reason: NOT_ADDRESSED });
    expect(isAccepted(event)).toBe(false);
  });

  test('mentions of others stay in the text; only the bot’s go', () => {
    const text = '@Taro と @Bot に質問';
    const event = parse(
      groupTextEvent(group, text, {
        userId: member,
        mentionees: [
          { index: 0, length: 5, isSelf: false },
          { index: 8, length: 4, isSelf: true },
        ],
      }),
    );
    expect(isInbound(event) && event.type === 'text' && event.text).toBe('@Taro と に質問');
  });

  test('a configured prefix addresses the bot (case and width folded) and is removed', () => {
    for (const [text, expected] of [
      ['@AI 今日は何曜日？', '今日は何曜日？'],
      ['AI、今日は何曜日？', '今日は何曜日？'],
      ['＠ａｉ　今日は何曜日？', '今日は何曜日？'],
      ['  @ai: hello', 'hello'],
    ]) {
      const event = parse(groupTextEvent(group, text!, { userId: member }));
      expect(isInbound(event) && event.type === 'text' && event.text).toBe(expected);
    }
  });

  test('without prefixes configured, only a mention calls the bot', () => {
    const event = toInboundEvent(groupTextEvent(group, '@AI hello', { userId: member }));
    expect(event).toMatchObject({ reason: NOT_ADDRESSED });
  });

  test('unaddressed text, stickers and other messages in a group are ignored', () => {
    expect(parse(groupTextEvent(group, 'おはよう', { userId: member }))).toMatchObject({
      reason: NOT_ADDRESSED,
    });
    expect(parse(groupStickerEvent(group, { userId: member }))).toMatchObject({
      type: 'message:sticker',
      reason: NOT_ADDRESSED,
    });
  });

  test('a tap on the bot’s button in a group is the tapper’s postback, in the group', () => {
    const tap = {
      ...groupTextEvent(group, 'x', { userId: member, replyToken: 'rt' }),
      type: 'postback',
      postback: { data: 'action=buy&product=points_500' },
    };
    expect(parse(tap)).toMatchObject({
      type: 'postback',
      lineUserId: member,
      conversation: { kind: 'group', id: group },
      data: 'action=buy&product=points_500',
    });
    const anonymous = { ...tap, source: { type: 'group', groupId: group } };
    expect(parse(anonymous)).toMatchObject({ reason: NO_SENDER });
  });

  test('a text addressed to the bot without a user ID is ignored: nobody to charge', () => {
    const event = parse(mentionBotEvent(group, 'hello'));
    expect(event).toMatchObject({ reason: NO_SENDER });
    expect(isAccepted(event)).toBe(false);
  });

  test('join and leave are the group’s own events, without a user', () => {
    const join = parse(joinEvent(group, { replyToken: 'rt' }));
    expect(join).toMatchObject({
      type: 'join',
      conversation: { kind: 'group', id: group },
      replyToken: 'rt',
    });
    expect(isAccepted(join)).toBe(true);
    expect(isInbound(join)).toBe(false);
    expect(isAccepted(join) && sessionKeyOf(join)).toBe(`group:${group}`);
    expect(parse(leaveEvent(room))).toMatchObject({
      type: 'leave',
      conversation: { kind: 'room', id: room },
    });
  });

  test('member joined and left are acknowledged and ignored', () => {
    expect(isAccepted(parse(memberJoinedEvent(group, member)))).toBe(false);
    expect(
      isAccepted(parse({ ...memberJoinedEvent(group, member), type: 'memberLeft', left: {} })),
    ).toBe(false);
  });

  test('one-to-one events carry no conversation (recorded events read the same)', () => {
    const event = parse(textEvent(member, '@AI hello'));
    expect(event).toMatchObject({ type: 'text', text: '@AI hello', lineUserId: member });
    expect(event).not.toHaveProperty('conversation');
    expect(isInbound(event) && sessionKeyOf(event)).toBe(member);
  });

  test('a mention that names only the bot leaves an empty text (answered with help)', () => {
    expect(addressedText('@Bot', [{ index: 0, length: 4, isSelf: true }], [])).toBe('');
    // A mention outside the text is not trusted.
    expect(addressedText('hi', [{ index: 1, length: 9, isSelf: true }], [])).toBeUndefined();
  });
});
