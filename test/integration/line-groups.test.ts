import type { LineRecord } from '../../stand-ins/line-platform';
import type { ChatTurnResult } from '../../workflows/chat-turn';
import { chatTurnId } from '../../workflows/support/ids';
import { startChatHarness, type ChatHarness } from '../support/chat-harness';
import { lineMessagesErrors, lineSchemaErrors } from '../support/line-openapi';
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
import { createTestUser, testLedger } from '../support/users';
import { makeLineUserId } from '../../stand-ins';
import type { Ledger } from '../../ledger';
import { waitFor } from '../support/workers';

/**
 * Groups and rooms (issue #14 item 7): the bot answers a member only when mentioned or called
 * by a configured prefix, charges that member, keeps the group's own history (never mixed with
 * anyone's one-to-one chat), answers a group's turns in order, greets on join and forgets the
 * group's history on leave. The real API, inbox, relay, sessions, turns, Temporal and
 * PostgreSQL; LINE and the LLM are the stand-ins, and every request to LINE is checked against
 * LINE's OpenAPI description.
 */
describe('groups and rooms', () => {
  let h: ChatHarness;
  let ledger: Ledger;

  beforeAll(async () => {
    h = await startChatHarness('line-groups');
    ledger = testLedger(h.db, h.config);
  });
  afterAll(async () => {
    await h?.stop();
  });
  afterEach(() => {
    for (const r of h.line.received()) {
      if (r.messages) expect(lineMessagesErrors(r.messages)).toEqual([]);
      if (r.kind === 'push')
        expect(lineSchemaErrors('PushMessageRequest', { to: r.to, messages: r.messages })).toEqual(
          [],
        );
      if (r.kind === 'reply')
        expect(
          lineSchemaErrors('ReplyMessageRequest', {
            replyToken: r.replyToken,
            messages: r.messages,
          }),
        ).toEqual([]);
      // Never a loading animation in a group: LINE allows it in one-to-one chats only.
      if (r.kind === 'loading') expect(r.to).toMatch(/^U/);
    }
  });

  const groups = () => h.config.catalog.groups;
  /** Messages that went to the group: replies on its tokens, pushes to its ID. */
  const inGroup = (group: string) =>
    h.line.received().filter((r) => r.chatId === group && r.kind !== 'loading');
  const textsIn = (group: string) =>
    inGroup(group).flatMap((r: LineRecord) => (r.messages ?? []).map((m) => m.text ?? ''));
  const waitTexts = (group: string, n: number) =>
    waitFor(
      async () => textsIn(group).length >= n && textsIn(group),
      `${n} texts in the group`,
      60_000,
    );
  /** The turn's result, once the relay and the session have started it. */
  async function turnResult(webhookEventId: string): Promise<ChatTurnResult> {
    const handle = h.temporal.workflow.getHandle(chatTurnId(webhookEventId));
    await waitFor(() => handle.describe().catch(() => undefined), 'the turn started', 60_000);
    return handle.result();
  }
  const contentOf = (m: { content: unknown }) =>
    typeof m.content === 'string' ? m.content : JSON.stringify(m.content);
  /** The model's request whose last user message is `text`. */
  const requestsAsking = (text: string) =>
    h.llm
      .requests()
      .filter(
        (r) =>
          r.messages && contentOf(r.messages.filter((m) => m.role === 'user').at(-1)!) === text,
      );
  const requestAsking = (text: string) => requestsAsking(text)[0];
  const historyOf = (text: string) =>
    (requestAsking(text)?.messages ?? []).slice(1, -1).map((m) => contentOf(m));
  const token = (userId: string | undefined, group: string) =>
    h.line.issueReplyToken({ ...(userId ? { userId } : {}), chatId: group });
  async function send(...events: unknown[]) {
    expect((await h.send(events)).status).toBe(200);
  }
  const inboxRow = (webhookEventId: string) =>
    h.db.lineInboxEvent.findUnique({ where: { webhookEventId } });

  it('a message without a mention or prefix: no reply, no charge, no inbox row', async () => {
    const group = makeChatId();
    const user = await createTestUser(h.db, ledger, { points: 100 });
    const plain = groupTextEvent(group, 'AIってすごいね', {
      userId: user.lineUserId,
      replyToken: token(user.lineUserId, group),
    });
    const sticker = groupStickerEvent(group, {
      userId: user.lineUserId,
      replyToken: token(user.lineUserId, group),
    });
    const joined = memberJoinedEvent(group, makeLineUserId(), {
      replyToken: token(undefined, group),
    });
    // Addressed to the bot, but LINE left the sender out: nobody to charge, so no answer.
    const anonymous = mentionBotEvent(group, '誰が払うの？', {
      replyToken: token(undefined, group),
    });
    await send(plain, sticker, joined, anonymous);
    for (const e of [plain, sticker, joined, anonymous])
      expect(await inboxRow(e.webhookEventId)).toBeNull();
    await new Promise((r) => setTimeout(r, 1500));
    expect(inGroup(group)).toEqual([]);
    expect((await ledger.getBalance(user.id)).balance).toBe(100);
    expect(await h.db.usageRecord.count({ where: { userId: user.id } })).toBe(0);
    expect(requestAsking('誰が払うの？')).toBeUndefined();
  });

  it('a mention: answered in the group, charged to the member who asked, without the mention', async () => {
    const group = makeChatId();
    const user = await createTestUser(h.db, ledger, { points: 100 });
    const event = mentionBotEvent(group, '富士山の高さは？', {
      userId: user.lineUserId,
      replyToken: token(user.lineUserId, group),
    });
    await send(event);
    const [answer] = await waitTexts(group, 1);
    const result = await turnResult(event.webhookEventId);
    expect(result).toMatchObject({ outcome: 'answered' });

    // The model got the question without "@AIチャット ".
    const request = requestAsking('富士山の高さは？');
    expect(request).toBeDefined();
    expect(answer).toContain(request!.reply!.content);
    const [reply] = inGroup(group);
    expect(reply).toMatchObject({ kind: 'reply', chatId: group });
    expect(h.line.received({ userId: user.lineUserId, kind: 'push' })).toEqual([]);

    // Charged to the member: usage rows, the ledger and the day's count.
    const turnId = chatTurnId(event.webhookEventId);
    const usage = await h.db.usageRecord.findMany({ where: { turnId } });
    expect(usage.map((u) => u.ioType).sort()).toEqual(['in', 'out']);
    expect(usage.every((u) => u.userId === user.id)).toBe(true);
    const charged = usage.reduce((n, u) => n + u.points, 0);
    expect(result.pointsCharged).toBe(charged);
    expect((await ledger.getBalance(user.id)).balance).toBe(100 - charged);
    const free = h.config.catalog.plans.free!.dailyChatLimit;
    expect((await ledger.getUsage(user.id)).remainingCount).toBe(free - 1);
    expect(await ledger.replayCheck(user.id)).toEqual([]);
    // LINE redelivering the event: one turn, one answer.
    await send({ ...event, deliveryContext: { isRedelivery: true } });
    await new Promise((r) => setTimeout(r, 1000));
    expect(requestsAsking('富士山の高さは？')).toHaveLength(1);
    expect(textsIn(group)).toHaveLength(1);
    // Archived as the group's, with the text as the member sent it to the bot.
    const archive = await h.db.chatArchive.findMany({ where: { turnId } });
    expect(archive.map((a) => a.conversationId)).toEqual([group, group]);
  });

  it('a prefix calls the bot too; without a reply token the answer is pushed to the group', async () => {
    const group = makeChatId('room');
    const user = await createTestUser(h.db, ledger, { points: 100 });
    const prefix = groups().prefixes[1]!; // 「AI、」
    const event = groupTextEvent(group, `${prefix}一番長い川は？`, { userId: user.lineUserId });
    await send(event);
    await waitTexts(group, 1);
    expect(requestAsking('一番長い川は？')).toBeDefined();
    const [push] = inGroup(group);
    expect(push).toMatchObject({ kind: 'push', to: group, chatId: group });
    expect(await turnResult(event.webhookEventId)).toMatchObject({ outcome: 'answered' });
  });

  it('history is the group’s: members see each other’s turns, never anyone’s one-to-one chat', async () => {
    const group = makeChatId();
    const alice = await createTestUser(h.db, ledger, { points: 100 });
    const bob = await createTestUser(h.db, ledger, { points: 100 });
    // Alice's own one-to-one chat first.
    const privateTurn = textEvent(alice.lineUserId, '私の秘密の質問です', {
      replyToken: h.line.issueReplyToken({ userId: alice.lineUserId }),
    });
    await send(privateTurn);
    await turnResult(privateTurn.webhookEventId);

    const first = mentionBotEvent(group, 'グループの最初の質問', {
      userId: alice.lineUserId,
      replyToken: token(alice.lineUserId, group),
    });
    await send(first);
    await turnResult(first.webhookEventId);
    const second = mentionBotEvent(group, 'ボブの質問', {
      userId: bob.lineUserId,
      replyToken: token(bob.lineUserId, group),
    });
    await send(second);
    await turnResult(second.webhookEventId);

    // Bob's group turn sees Alice's group turn, not her one-to-one chat.
    const bobsHistory = historyOf('ボブの質問');
    expect(bobsHistory).toContain('グループの最初の質問');
    expect(bobsHistory).not.toContain('私の秘密の質問です');
    // Alice's group turn did not see her one-to-one chat either.
    expect(historyOf('グループの最初の質問')).not.toContain('私の秘密の質問です');

    // Alice's next one-to-one turn sees her own chat, not the group's.
    const privateAgain = textEvent(alice.lineUserId, '一対一の続き', {
      replyToken: h.line.issueReplyToken({ userId: alice.lineUserId }),
    });
    await send(privateAgain);
    await turnResult(privateAgain.webhookEventId);
    const alicesHistory = historyOf('一対一の続き');
    expect(alicesHistory).toContain('私の秘密の質問です');
    expect(alicesHistory).not.toContain('グループの最初の質問');
    expect(alicesHistory).not.toContain('ボブの質問');
  });

  it('two mentions sent at once are answered in order, the second seeing the first', async () => {
    const group = makeChatId();
    const alice = await createTestUser(h.db, ledger, { points: 100 });
    const bob = await createTestUser(h.db, ledger, { points: 100 });
    const one = mentionBotEvent(group, '順番1', {
      userId: alice.lineUserId,
      replyToken: token(alice.lineUserId, group),
    });
    const two = mentionBotEvent(group, '順番2', {
      userId: bob.lineUserId,
      replyToken: token(bob.lineUserId, group),
    });
    await send(one, two);
    await waitTexts(group, 2);
    const [r1, r2] = [requestAsking('順番1')!, requestAsking('順番2')!];
    expect(r1.seq).toBeLessThan(r2.seq);
    expect(historyOf('順番2')).toContain('順番1');
    const replies = inGroup(group);
    expect(replies.map((r) => r.replyToken)).toEqual([one.replyToken, two.replyToken]);
  });

  it('join: a free greeting and the group remembered; leave: the group’s history deleted', async () => {
    const group = makeChatId();
    const join = joinEvent(group, { replyToken: token(undefined, group) });
    await send(join);
    const [greeting] = await waitTexts(group, 1);
    expect(greeting).toBe(groups().greeting);
    const row = await h.db.lineConversation.findUniqueOrThrow({ where: { id: group } });
    expect(row).toMatchObject({ kind: 'group', leftAt: null });

    const user = await createTestUser(h.db, ledger, { points: 100 });
    const asked = mentionBotEvent(group, '覚えておいてね', {
      userId: user.lineUserId,
      replyToken: token(user.lineUserId, group),
    });
    await send(asked);
    await turnResult(asked.webhookEventId);
    expect(await h.db.chatArchive.count({ where: { conversationId: group } })).toBe(2);

    await send(leaveEvent(group));
    await waitFor(
      async () =>
        (await h.db.lineConversation.findUnique({ where: { id: group } }))?.leftAt != null &&
        (await h.db.chatArchive.count({ where: { conversationId: group } })) === 0,
      'the group left and its history deleted',
      60_000,
    );
    // So are the group's texts in the inbox (relayed rows; the leave's own may still wait).
    const texts = await h.db.lineInboxEvent.count({
      where: {
        event: { path: ['conversation', 'id'], equals: group },
        NOT: { event: { path: ['type'], equals: 'leave' } },
      },
    });
    expect(texts).toBe(0);
    // The member's charge stays (it paid for an answer given); only the text is gone.
    expect(await h.db.usageRecord.count({ where: { userId: user.id } })).toBe(2);

    // Added again: greeted again, and the old history is not there.
    await send(joinEvent(group, { replyToken: token(undefined, group) }));
    await waitTexts(group, 3);
    const again = mentionBotEvent(group, '前の話を覚えてる？', {
      userId: user.lineUserId,
      replyToken: token(user.lineUserId, group),
    });
    await send(again);
    await turnResult(again.webhookEventId);
    expect(historyOf('前の話を覚えてる？')).not.toContain('覚えておいてね');
  });

  it('a personal command in a group: the one-to-one chat, free; help says how to call the bot', async () => {
    const group = makeChatId();
    const user = await createTestUser(h.db, ledger, { points: 100 });
    const balance = mentionBotEvent(group, '残高', {
      userId: user.lineUserId,
      replyToken: token(user.lineUserId, group),
    });
    const buy = mentionBotEvent(group, '購入', {
      userId: user.lineUserId,
      replyToken: token(user.lineUserId, group),
    });
    const bare = groupTextEvent(group, '@AIチャット', {
      userId: user.lineUserId,
      replyToken: token(user.lineUserId, group),
      mentionees: [{ index: 0, length: '@AIチャット'.length, isSelf: true }],
    });
    // A tap on a buy button shown in the group: never a Checkout link posted to everyone.
    const tap = {
      ...groupTextEvent(group, 'x', {
        userId: user.lineUserId,
        replyToken: token(user.lineUserId, group),
      }),
      type: 'postback',
      postback: { data: 'action=buy&product=points_500' },
    };
    await send(balance, buy, bare, tap);
    const texts = await waitTexts(group, 4);
    expect(texts).toEqual([
      groups().personalCommand,
      groups().personalCommand,
      groups().greeting,
      groups().personalCommand,
    ]);
    expect(await h.db.pointReservation.count({ where: { userId: user.id } })).toBe(0);
    expect((await ledger.getBalance(user.id)).balance).toBe(100);
    expect(h.line.received({ userId: user.lineUserId, kind: 'push' })).toEqual([]);
  });

  it('a flood in a group: the waiting cap holds, the rest gets the free busy reply in the group', async () => {
    const group = makeChatId();
    const user = await createTestUser(h.db, ledger, { points: 1000, planId: 'enterprise' });
    const { busyReply, maxWaitingMessages } = h.config.catalog.chat;
    const mention = (text: string) =>
      mentionBotEvent(group, text, {
        userId: user.lineUserId,
        replyToken: token(user.lineUserId, group),
      });
    await send(mention('ゆっくり [[delay:6000]]'));
    await waitFor(
      async () => requestsAsking('ゆっくり [[delay:6000]]').length > 0,
      'the slow turn to call the model',
    );
    const flood = Array.from({ length: maxWaitingMessages + 5 }, (_, i) => mention(`質問${i}`));
    await send(...flood);
    const texts = await waitFor(
      async () => textsIn(group).length >= flood.length + 1 && textsIn(group),
      'an answer or a busy reply to each message',
      120_000,
    );
    const refused = texts.filter((t) => t === busyReply);
    expect(refused.length).toBeGreaterThanOrEqual(flood.length - maxWaitingMessages - 1);
    expect(refused.length).toBeLessThanOrEqual(flood.length - maxWaitingMessages + 1);
    // Refused messages are free: only the turns that ran held and settled points.
    const held = await h.db.pointReservation.count({ where: { userId: user.id } });
    expect(held).toBe(texts.length - refused.length);
    expect(h.line.received({ userId: user.lineUserId, kind: 'push' })).toEqual([]);
  });

  it('a member the product has never seen: as in a one-to-one chat, an account and its refusal', async () => {
    const group = makeChatId();
    const stranger = makeLineUserId();
    const event = mentionBotEvent(group, 'はじめまして', {
      userId: stranger,
      replyToken: token(stranger, group),
    });
    await send(event);
    const [refusal] = await waitTexts(group, 1);
    expect(await turnResult(event.webhookEventId)).toMatchObject({
      outcome: 'rejected',
      errorCode: 'INSUFFICIENT_POINTS',
    });
    expect(refusal).toContain(h.config.catalog.messages.INSUFFICIENT_POINTS);
    const user = await h.db.user.findUniqueOrThrow({ where: { lineUserId: stranger } });
    expect(await h.db.usageRecord.count({ where: { userId: user.id } })).toBe(0);
  });
});
