import { randomUUID } from 'node:crypto';
import { createLineMessagingActivities } from '../../activities/line-messaging';
import type { Db } from '../../lib/db';
import { createLogger } from '../../lib/logger';
import { createMetrics, type Metrics } from '../../lib/metrics';
import { createLineClients } from '../../services/line-client';
import {
  makeLineUserId,
  startLinePlatform,
  type LinePlatformStandIn,
} from '../../stand-ins/line-platform';
import { systemClock } from '../../workers/deps';
import { newDb } from './ledger-fixtures';

/**
 * line_deliveries_total{via}: answers delivered by reply token (free) and by push (counted
 * against the channel's monthly quota), against the LINE stand-in and PostgreSQL, as the
 * worker's deliverMessages sends them. A delivery run again is not counted twice.
 */

const TOKEN = 'line-delivery-metric-test-token';
let db: Db;
let line: LinePlatformStandIn;
let metrics: Metrics;
let deliver: ReturnType<typeof createLineMessagingActivities>['deliverMessages'];

beforeAll(async () => {
  db = newDb();
  line = await startLinePlatform({ channelAccessToken: TOKEN });
  const clients = createLineClients({
    LINE_CHANNEL_ACCESS_TOKEN: TOKEN,
    LINE_API_BASE_URL: line.url,
    LINE_DATA_API_BASE_URL: line.dataUrl,
  });
  metrics = createMetrics();
  ({ deliverMessages: deliver } = createLineMessagingActivities({
    ...clients,
    db,
    clock: systemClock,
    replyTokenMaxAgeSeconds: 50,
    logger: createLogger('silent'),
    metrics,
  }));
});

afterAll(async () => {
  await line?.close();
  await db?.$disconnect();
});

/** The counter's value per `via` label, read from the registry as Prometheus would. */
async function deliveries(): Promise<Record<string, number>> {
  const metric = await metrics.lineDeliveries.get();
  return Object.fromEntries(metric.values.map((v) => [String(v.labels.via), v.value]));
}

const delivery = (lineUserId: string, texts: string[], replyToken?: string) => ({
  lineUserId,
  texts,
  ...(replyToken ? { replyToken } : {}),
  eventTimestamp: Date.now(),
  deliveryId: `chat-${randomUUID()}`,
});

it('counts each answer once by how it went out: reply, push, reply then push', async () => {
  const userId = makeLineUserId();
  expect(await deliveries()).toEqual({});

  const replied = delivery(userId, ['by reply'], line.issueReplyToken({ userId }));
  expect(await deliver(replied)).toEqual({ via: 'reply', calls: 1 });
  expect(await deliveries()).toEqual({ reply: 1 });

  // No reply token (a push-only delivery), and a token LINE refuses: both pushed.
  expect(await deliver(delivery(userId, ['pushed']))).toMatchObject({ via: 'push' });
  const refused = delivery(userId, ['pushed too'], 'not-a-token');
  expect(await deliver(refused)).toMatchObject({ via: 'push' });
  expect(await deliveries()).toEqual({ reply: 1, push: 2 });

  // Seven messages: five by the reply, two by a push.
  const long = delivery(
    userId,
    Array.from({ length: 7 }, (_, i) => `part ${i + 1}`),
    line.issueReplyToken({ userId }),
  );
  expect(await deliver(long)).toEqual({ via: 'reply+push', calls: 2 });
  expect(await deliveries()).toEqual({ reply: 1, push: 2, 'reply+push': 1 });

  // Run again (the worker died before the result was recorded): nothing new reaches the user,
  // and nothing is counted again.
  await deliver(replied);
  await deliver(long);
  expect(await deliveries()).toEqual({ reply: 1, push: 2, 'reply+push': 1 });

  const exposed = await metrics.registry.metrics();
  expect(exposed).toContain('line_deliveries_total{via="reply"} 1');
  expect(exposed).toContain('line_deliveries_total{via="push"} 2');
});

it('the tap flow: a notice goes by reply or not at all; collected answers counted once', async () => {
  const userId = makeLineUserId();
  const before = await deliveries();
  const pushesBefore = line.received({ userId, kind: 'push' }).length;

  // A notice on a token too old (or refused) is not pushed: nothing reaches the user.
  const stale = {
    ...delivery(userId, ['notice'], line.issueReplyToken({ userId, ageSeconds: 55 })),
    eventTimestamp: Date.now() - 55_000,
    replyOnly: true,
  };
  expect(await deliver(stale)).toEqual({ via: 'none', calls: 0 });
  const refused = { ...delivery(userId, ['notice'], 'not-a-token'), replyOnly: true };
  expect(await deliver(refused)).toEqual({ via: 'none', calls: 0 });
  expect(line.received({ userId, kind: 'push' }).length).toBe(pushesBefore);
  const fresh = {
    ...delivery(userId, ['notice'], line.issueReplyToken({ userId })),
    replyOnly: true,
  };
  expect(await deliver(fresh)).toEqual({ via: 'reply', calls: 1 });
  expect(await deliveries()).toEqual({ ...before, reply: (before.reply ?? 0) + 1 });

  // The answers: on the tap's token, and pushed without a tap; a run again counts nothing.
  const tapped = {
    ...delivery(userId, ['answer'], line.issueReplyToken({ userId })),
    collect: 'tapped' as const,
  };
  const untapped = { ...delivery(userId, ['answer']), collect: 'pushed_no_tap' as const };
  await deliver(tapped);
  await deliver(untapped);
  await deliver(tapped);
  await deliver(untapped);
  const collected = await metrics.chatAnswerCollect.get();
  expect(Object.fromEntries(collected.values.map((v) => [v.labels.result, v.value]))).toEqual({
    tapped: 1,
    pushed_no_tap: 1,
  });
  expect(await metrics.registry.metrics()).toContain(
    'chat_answer_collect_total{result="tapped"} 1',
  );
});
