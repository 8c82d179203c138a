import { randomUUID } from 'node:crypto';
import { createLineMessagingActivities } from '../../activities/line-messaging';
import { createLineClients } from '../../services/line-client';
import { systemClock } from '../../workers/deps';
import type { Db } from '../../lib/db';
import { createLogger } from '../../lib/logger';
import {
  makeLineUserId,
  startLinePlatform,
  type LinePlatformStandIn,
} from '../../stand-ins/line-platform';
import { newDb } from './ledger-fixtures';

/**
 * deliverMessages running again for a delivery it already made (the chat turn's worker died
 * after the reply but before the result was recorded, or the session was reset): the user must
 * not see the answer twice. A reply token works once, so the first execution records its reply;
 * pushes carry a retry key that LINE deduplicates.
 */

const TOKEN = 'line-delivery-test-token';
let db: Db;
let line: LinePlatformStandIn;
let deliver: ReturnType<typeof createLineMessagingActivities>['deliverMessages'];

beforeAll(async () => {
  db = newDb();
  line = await startLinePlatform({ channelAccessToken: TOKEN });
  const clients = createLineClients({
    LINE_CHANNEL_ACCESS_TOKEN: TOKEN,
    LINE_API_BASE_URL: line.url,
    LINE_DATA_API_BASE_URL: line.dataUrl,
  });
  ({ deliverMessages: deliver } = createLineMessagingActivities({
    ...clients,
    db,
    clock: systemClock,
    replyTokenMaxAgeSeconds: 50,
    logger: createLogger('silent'),
  }));
});

afterAll(async () => {
  await line?.close();
  await db?.$disconnect();
});

const input = (lineUserId: string, texts: string[]) => ({
  lineUserId,
  texts,
  replyToken: line.issueReplyToken({ userId: lineUserId }),
  eventTimestamp: Date.now(),
  deliveryId: `chat-${randomUUID()}`,
});

it('replies once and, run again, neither replies nor pushes the same answer', async () => {
  const userId = makeLineUserId();
  const delivery = input(userId, ['the answer']);
  expect(await deliver(delivery)).toEqual({ via: 'reply', calls: 1 });
  expect(await deliver(delivery)).toEqual({ via: 'reply', calls: 0 });
  expect(line.textsFor(userId)).toEqual(['the answer']);
  expect(await db.lineReply.count({ where: { deliveryId: delivery.deliveryId } })).toBe(1);
});

it('run again once its reply token is too old to use, still sends nothing twice', async () => {
  const userId = makeLineUserId();
  const delivery = input(userId, ['the answer']);
  expect(await deliver(delivery)).toEqual({ via: 'reply', calls: 1 });
  const later = { ...delivery, eventTimestamp: Date.now() - 120_000 };
  expect(await deliver(later)).toEqual({ via: 'reply', calls: 0 });
  expect(line.textsFor(userId)).toEqual(['the answer']);
});

it('run again after a long answer, sends only what the reply did not carry, once', async () => {
  const userId = makeLineUserId();
  // Seven messages: five by reply, two by push.
  const texts = Array.from({ length: 7 }, (_, i) => `part ${i + 1}`);
  const delivery = input(userId, texts);
  expect(await deliver(delivery)).toEqual({ via: 'reply+push', calls: 2 });
  await deliver(delivery);
  expect(line.textsFor(userId)).toEqual(texts);
});

it('pushes when the reply token is refused and records no reply', async () => {
  const userId = makeLineUserId();
  const delivery = { ...input(userId, ['pushed']), replyToken: 'not-a-token' };
  expect(await deliver(delivery)).toEqual({ via: 'push', calls: 1 });
  expect(line.textsFor(userId)).toEqual(['pushed']);
  expect(await db.lineReply.count({ where: { deliveryId: delivery.deliveryId } })).toBe(0);
});
