import path from 'node:path';
import { followAsNewUser, RESULTS_DIR } from '../support/browser';
import { useSimulatorPage } from '../support/simulator-page';
import { waitFor } from '../support/workers';

/**
 * A group chat in the /dev simulator (issue #14), in a real headless Chromium against the whole
 * system in-process: two simulated users make a group, the bot is added (join) and greets, a
 * member's message without a mention gets nothing, the other member's message with "@<bot>"
 * (LINE's mention with isSelf) gets the answer in the group, charged to that member only.
 */

const SCREENSHOT = path.join(RESULTS_DIR, 'simulator-group.png');
const STEP_MS = 60_000;
/** How long "the bot stays silent" is watched for. */
const QUIET_MS = 4_000;
const CHAT_ID = /^C[0-9a-f]{32}$/;

interface SentView {
  kind: string;
  from?: string;
  text?: string;
  status: number;
  mention?: { index: number; length: number };
}

describe('LINE simulator: a group chat with a mention of the bot', () => {
  const sim = useSimulatorPage('simulator-group');
  let memberA = '';
  let memberB = '';
  let groupId = '';

  const balanceOf = async (lineUserId: string) => {
    const user = await sim.h.db.user.findUniqueOrThrow({ where: { lineUserId } });
    return (await sim.h.ledger.getBalance(user.id)).balance;
  };
  const groupTimeline = async () => {
    const res = await fetch(`${sim.h.apiUrl}/dev/api/groups/${groupId}/timeline`);
    expect(res.status).toBe(200);
    return (await res.json()) as { sent: SentView[]; bot: Array<{ kind: string }> };
  };
  /** What the bot sent to the group: replies to its events (chatId) and pushes to its ID. */
  const toGroup = () =>
    sim.h.line.received().filter((r) => r.kind !== 'loading' && r.chatId === groupId);
  /** What the bot sent to the user's own chat (not replies to the user in a group). */
  const oneToOne = (lineUserId: string) =>
    sim.h.line.received({ userId: lineUserId }).filter((r) => !r.chatId).length;
  const shownBalance = async (lineUserId: string) => {
    const text =
      (await sim.page
        .locator(`[data-testid="group-member"][data-user="${lineUserId}"]`)
        .getByTestId('group-member-balance')
        .textContent()) ?? '';
    return Number(text.replace(/[^\d-]/g, ''));
  };

  it('two users follow the bot', async () => {
    await sim.openSimulator();
    await sim.page.getByTestId('display-name').fill('メンバーA');
    memberA = await followAsNewUser(sim.page, STEP_MS);
    await sim.page.getByTestId('display-name').fill('メンバーB');
    memberB = await followAsNewUser(sim.page, STEP_MS);
    expect(memberA).not.toBe(memberB);
    // The "@Bot" mention box belongs to group chats only.
    expect(await sim.page.getByTestId('mention-bot').isVisible()).toBe(false);
  });

  it('makes a group of both and adds the bot: a join event, and the greeting in the group', async () => {
    for (const member of [memberA, memberB])
      await sim.page.locator(`[data-testid="group-member-option"][value="${member}"]`).check();
    await sim.page.getByTestId('group-name').fill('ランチ会');
    await sim.page.getByTestId('new-group').click();
    groupId = await waitFor(
      async () => {
        const text = (await sim.page.getByTestId('current-group-id').textContent()) ?? '';
        return CHAT_ID.test(text) ? text : null;
      },
      'a LINE group ID on the page',
      STEP_MS,
    );
    expect(await sim.page.getByTestId('mention-bot').isVisible()).toBe(true);
    // The composer says how the bot is called there: the mention or a prefix (catalog groups).
    expect(await sim.page.getByTestId('composer-input').getAttribute('placeholder')).toContain(
      sim.h.config.catalog.groups.prefixes.find((p) => !p.startsWith('@')),
    );
    await sim.page.getByTestId('group-join').click();
    await sim.page
      .locator('[data-testid="group-notice"]', { hasText: '(join)' })
      .waitFor({ timeout: STEP_MS });
    const greeting = sim.h.config.catalog.groups.greeting;
    await sim.page
      .locator('[data-testid="bot-text"]', { hasText: greeting.slice(0, 12) })
      .waitFor({ timeout: STEP_MS });
    // The greeting answered the join on its own reply token, in the group.
    const replies = toGroup();
    expect(replies.map((r) => r.kind)).toEqual(['reply']);
    expect(replies[0]!.messages?.[0]?.text).toBe(greeting);
    const { sent } = await groupTimeline();
    expect(sent).toEqual([expect.objectContaining({ kind: 'join', status: 200 })]);
  });

  it(
    'a message without a mention gets no answer; B with "@Bot" gets one, charged to B only',
    async () => {
      const balanceA = await balanceOf(memberA);
      const balanceB = await balanceOf(memberB);
      const ownB = oneToOne(memberB);
      // A writes to the group without mentioning the bot: LINE delivers it, the bot stays quiet.
      await sim.page.getByTestId('group-sender').selectOption(memberA);
      const chatter = 'みんなでランチどこにする？';
      await sim.page.getByTestId('composer-input').fill(chatter);
      await sim.page.getByTestId('send').click();
      await sim.page
        .locator(`[data-testid="user-message"][data-from="${memberA}"]`, { hasText: chatter })
        .waitFor({ timeout: STEP_MS });
      const quietFrom = toGroup().length;
      await new Promise((r) => setTimeout(r, QUIET_MS));
      expect(toGroup()).toHaveLength(quietFrom);
      expect((await groupTimeline()).sent.at(-1)).toMatchObject({
        kind: 'text',
        from: memberA,
        text: chatter,
        status: 200,
      });
      expect((await groupTimeline()).sent.at(-1)?.mention).toBeUndefined();

      // B writes with the bot mentioned: "@<bot name> …" with LINE's mention (isSelf).
      await sim.page.getByTestId('group-sender').selectOption(memberB);
      const question = 'おすすめのお店を教えて';
      await sim.page.getByTestId('mention-bot').check();
      await sim.page.getByTestId('composer-input').fill(question);
      await sim.page.getByTestId('send').click();
      const mine = sim.page.locator(`[data-testid="user-message"][data-from="${memberB}"]`, {
        hasText: question,
      });
      await mine.waitFor({ timeout: STEP_MS });
      expect(await mine.locator('.mention').textContent()).toBe('@AIスタンプ Bot');
      // A's message is now another member's: on the left, with A's name.
      await sim.page
        .locator(`[data-testid="member-message"][data-from="${memberA}"]`, { hasText: chatter })
        .waitFor({ timeout: STEP_MS });
      // The LLM stand-in answers "[model] 了解しました: <the question>", the mention cut out.
      await sim.page
        .locator('[data-testid="bot-text"]', { hasText: `了解しました: ${question}` })
        .waitFor({ timeout: STEP_MS });
      const last = (await groupTimeline()).sent.at(-1);
      expect(last).toMatchObject({ kind: 'text', from: memberB, status: 200 });
      expect(last?.text).toBe(`@AIスタンプ Bot ${question}`);
      expect(last?.mention).toEqual({ index: 0, length: '@AIスタンプ Bot'.length });
      // The answer went on B's event's reply token, in the group; nothing to B's own chat.
      expect(toGroup().at(-1)).toMatchObject({ kind: 'reply', to: memberB, chatId: groupId });
      expect(oneToOne(memberB)).toBe(ownB);

      // B paid for the turn, A did not; the group panel shows both members' points.
      const afterB = await waitFor(
        async () => {
          const b = await balanceOf(memberB);
          return b < balanceB ? b : null;
        },
        "B's points charged for the answer",
        STEP_MS,
      );
      expect(await balanceOf(memberA)).toBe(balanceA);
      await waitFor(
        async () =>
          (await shownBalance(memberB)) === afterB && (await shownBalance(memberA)) === balanceA,
        'the group panel to show the members’ points',
        STEP_MS,
      );
      await sim.page.getByTestId('chat').evaluate((c) => (c.scrollTop = c.scrollHeight));
      await sim.page.screenshot({ path: SCREENSHOT });
    },
    3 * STEP_MS,
  );

  it('A calls the bot by the prefix instead: answered, charged to A', async () => {
    const balanceA = await balanceOf(memberA);
    const prefix = sim.h.config.catalog.groups.prefixes.find((p) => !p.startsWith('@'))!;
    await sim.page.getByTestId('group-sender').selectOption(memberA);
    const question = '明日の天気は？';
    await sim.page.getByTestId('composer-input').fill(`${prefix}${question}`);
    await sim.page.getByTestId('send').click();
    await sim.page
      .locator('[data-testid="bot-text"]', { hasText: `了解しました: ${question}` })
      .waitFor({ timeout: STEP_MS });
    await waitFor(
      async () => (await balanceOf(memberA)) < balanceA,
      "A's points charged for the answer",
      STEP_MS,
    );
  });

  it('a member taps a buy button in the group: a postback on its own reply token, answered there', async () => {
    const before = toGroup().at(-1)?.seq ?? 0;
    const res = await fetch(`${sim.h.apiUrl}/dev/api/groups/${groupId}/postback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: memberB, data: 'action=buy&product=points_500' }),
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ kind: 'postback', from: memberB, status: 200 });
    // Purchases belong to the one-to-one chat: the group is told so (free), on the tap's token.
    await sim.page
      .locator('[data-testid="bot-text"]', { hasText: sim.h.config.catalog.groups.personalCommand })
      .last()
      .waitFor({ timeout: STEP_MS });
    const answer = toGroup().filter((r) => r.seq > before);
    expect(answer).toEqual([expect.objectContaining({ kind: 'reply', to: memberB })]);
  });

  it('removes the bot (leave); a room gets the same join greeting', async () => {
    await sim.page.getByTestId('group-leave').click();
    await sim.page
      .locator('[data-testid="group-notice"]', { hasText: '(leave)' })
      .waitFor({ timeout: STEP_MS });
    expect((await groupTimeline()).sent.at(-1)).toMatchObject({ kind: 'leave', status: 200 });
    // Without the bot, LINE sends it nothing: the simulator says so rather than pretend.
    const refused = await fetch(`${sim.h.apiUrl}/dev/api/groups/${groupId}/text`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: memberA, text: 'まだいる？', mention: true }),
    });
    expect(refused.status).toBe(409);

    // A multi-person chat (room, "R…") through the same endpoints.
    const post = (url: string, body?: unknown) =>
      fetch(`${sim.h.apiUrl}${url}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body ?? {}),
      });
    const created = await post('/dev/api/groups', { type: 'room', members: [memberA, memberB] });
    expect(created.status).toBe(201);
    const room = (await created.json()) as { chatId: string };
    expect(room.chatId).toMatch(/^R[0-9a-f]{32}$/);
    expect((await post(`/dev/api/groups/${room.chatId}/join`)).status).toBe(202);
    const greeting = await sim.h.line.waitFor(
      (r) => r.chatId === room.chatId && r.kind === 'reply',
      STEP_MS,
    );
    expect(greeting.messages?.[0]?.text).toBe(sim.h.config.catalog.groups.greeting);
  });

  it('refuses bad input to the group endpoints with 400', async () => {
    const post = (url: string, body: unknown) =>
      fetch(`${sim.h.apiUrl}${url}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await post('/dev/api/groups', { members: [] })).status).toBe(400);
    expect((await post('/dev/api/groups', { members: ['not-an-id'] })).status).toBe(400);
    expect((await post('/dev/api/groups', { type: 'x', members: [memberA] })).status).toBe(400);
    expect((await post('/dev/api/groups/not-a-group/join', {})).status).toBe(400);
    expect((await post(`/dev/api/groups/C${'0'.repeat(32)}/join`, {})).status).toBe(404);
    const outsider = `U${'f'.repeat(32)}`;
    expect(
      (await post(`/dev/api/groups/${groupId}/text`, { from: outsider, text: 'x' })).status,
    ).toBe(400);
    expect(
      (await post(`/dev/api/groups/${groupId}/text`, { from: memberA, text: '' })).status,
    ).toBe(400);
    expect(sim.pageErrors).toEqual([]);
  });
});
