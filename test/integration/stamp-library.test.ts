import { randomUUID } from 'node:crypto';
import { mainKey, previewKey, stampJobPrefix, zipKey } from '../../domain/stamp-keys';
import { PURGED_SET_TEXT } from '../../domain/stamp-library';
import { STYLE_PRESETS } from '../../domain/sticker-style';
import type { Ledger } from '../../ledger';
import { createStampObjects, type StampObjects } from '../../services/stamp-objects';
import type { LineMessage } from '../../stand-ins';
import { startChatHarness, type ChatHarness } from '../support/chat-harness';
import { lineMessagesErrors } from '../support/line-openapi';
import { textEvent } from '../support/line-webhook';
import { createTestUser, testLedger } from '../support/users';
import { waitFor } from '../support/workers';

/**
 * 「マイスタンプ」 end to end: a signed webhook with the command, the user's session and chat
 * turn, the sets read from PostgreSQL, their files checked in MinIO and linked with URLs minted
 * for this request, which download the stored bytes.
 */

interface Bubble {
  hero?: { url: string };
  body: { contents: Array<{ text?: string }> };
  footer?: { contents: Array<{ action: { label: string; uri: string } }> };
}

describe('マイスタンプ', () => {
  let h: ChatHarness;
  let ledger: Ledger;
  let objects: StampObjects;

  beforeAll(async () => {
    h = await startChatHarness('stamp-library');
    ledger = testLedger(h.db, h.config);
    objects = createStampObjects(h.worker.deps.s3, h.config.env.S3_BUCKET);
  });
  afterAll(async () => {
    await h?.stop();
  });

  /** A set as the stamp job leaves it: the queue row, its messages and (optionally) its files. */
  async function makeSet(
    userId: string,
    opts: { status: 'completed' | 'processing' | 'cancelled'; minutesAgo: number; count: number },
  ) {
    const queueId = randomUUID();
    await h.db.lineStampGenerateQueue.create({
      data: {
        id: queueId,
        userId,
        imageUri: `${stampJobPrefix(userId, queueId)}base.jpg`,
        imageType: 'image/jpeg',
        status: opts.status,
        source: 'line',
        style: { ...STYLE_PRESETS.bubble },
        createdAt: new Date(Date.now() - opts.minutesAgo * 60_000),
        messages: {
          create: Array.from({ length: opts.count }, (_, i) => ({
            userId,
            message: `ことば${i + 1}`,
            orderPriority: i + 1,
          })),
        },
      },
    });
    const files = {
      zip: Buffer.from(`zip of ${queueId}`),
      main: Buffer.from(`main of ${queueId}`),
      sheet: Buffer.from(`sheet of ${queueId}`),
    };
    await objects.put(zipKey(userId, queueId), files.zip, 'application/zip');
    await objects.put(mainKey(userId, queueId), files.main, 'image/png');
    await objects.put(previewKey(userId, queueId), files.sheet, 'image/jpeg');
    return { queueId, files };
  }

  async function ask(lineUserId: string, text: string): Promise<LineMessage[]> {
    const before = h.line.messagesFor(lineUserId).length;
    const res = await h.send([
      textEvent(lineUserId, text, { replyToken: h.line.issueReplyToken({ userId: lineUserId }) }),
    ]);
    expect(res.status).toBe(200);
    return waitFor(
      async () => {
        const answer = h.line.messagesFor(lineUserId).slice(before);
        return answer.length > 0 ? answer : null;
      },
      `the answer to ${text}`,
      30_000,
    );
  }

  const download = async (url: string) => {
    const res = await fetch(url);
    return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
  };

  it('lists the sets newest first with fresh links that download, and says which were purged', async () => {
    const user = await createTestUser(h.db, ledger, { points: 0 });
    const ready = await makeSet(user.id, { status: 'completed', minutesAgo: 60, count: 8 });
    const purged = await makeSet(user.id, { status: 'completed', minutesAgo: 30, count: 16 });
    await makeSet(user.id, { status: 'processing', minutesAgo: 1, count: 2 });
    await makeSet(user.id, { status: 'cancelled', minutesAgo: 2, count: 3 });
    // The purged set's files are gone from the bucket (as a lifecycle rule or an operator leaves it).
    expect(await objects.deletePrefix(stampJobPrefix(user.id, purged.queueId))).toBe(3);

    const answer = await ask(user.lineUserId, 'マイスタンプ');
    expect(lineMessagesErrors(answer)).toEqual([]);
    const flex = answer[0] as { type: string; contents: { type: string; contents: Bubble[] } };
    expect(flex.type).toBe('flex');
    const bubbles = flex.contents.contents;
    // Newest first; the cancelled photo is not a set.
    expect(bubbles.map((b) => b.body.contents[0]?.text)).toEqual([
      expect.stringContaining('2個 · ふきだし'),
      expect.stringContaining('16個 · ふきだし'),
      expect.stringContaining('8個 · ふきだし'),
    ]);
    expect(bubbles[0]?.footer).toBeUndefined();
    expect(bubbles[1]?.body.contents[1]?.text).toBe(PURGED_SET_TEXT);
    expect(bubbles[1]?.footer).toBeUndefined();

    const links = bubbles[2]!.footer!.contents.map((c) => c.action);
    expect(links.map((l) => l.label)).toEqual(['ZIPをダウンロード', '一覧画像を見る']);
    for (const url of [links[0]!.uri, links[1]!.uri, bubbles[2]!.hero!.url]) {
      // Minted now, for a day.
      const signed = new URL(url).searchParams;
      expect(signed.get('X-Amz-Expires')).toBe('86400');
      const at = signed
        .get('X-Amz-Date')!
        .replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z');
      expect(Math.abs(Date.now() - Date.parse(at))).toBeLessThan(60_000);
    }
    const zip = await download(links[0]!.uri);
    expect(zip).toEqual({ status: 200, body: ready.files.zip });
    expect((await download(links[1]!.uri)).body).toEqual(ready.files.sheet);
    expect((await download(bubbles[2]!.hero!.url)).body).toEqual(ready.files.main);
    // The sticker list never went to the model.
    expect(h.llm.requests()).toHaveLength(0);
  });

  it('answers the English alias, and says so when there is no set yet', async () => {
    const user = await createTestUser(h.db, ledger, { points: 0 });
    const answer = await ask(user.lineUserId, 'my stamps');
    expect(answer).toHaveLength(1);
    expect(answer[0]?.text).toContain('まだスタンプはありません');
  });
});
