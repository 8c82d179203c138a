import { TaskQueues } from '../../config/task-queues';
import { stickerKey } from '../../domain/stamp-keys';
import { payloadCodec } from '../../lib/temporal';
import { startWorker, spawnWorkerProcess, waitFor } from '../support/workers';
import {
  availableTickets,
  createQueuedJob,
  createStampUser,
  expectCompleteSet,
  startJob,
  startStampHarness,
  type StampHarness,
} from './stamp-fixtures';

/**
 * A worker process SIGKILLed in the middle of rendering: the job still ends with one ticket
 * consumed and one complete, valid set, and stickers stored before the kill are not redone.
 */
describe('stamp job durability', () => {
  let h: StampHarness;

  beforeAll(async () => {
    h = await startStampHarness('stamp-kill', { workers: [] });
  });
  afterAll(async () => {
    await h.stop();
  });

  it('survives its worker being SIGKILLed while rendering', async () => {
    const user = await createStampUser(h.db, 2);
    const messages = Array.from({ length: 12 }, (_, i) => `スタンプ${i + 1}`);
    const queueId = await createQueuedJob(h, user.id, messages);

    // The child worker pauses after each sticker so the test can catch it half-way.
    const first = await spawnWorkerProcess({ ...h.childEnv, STAMP_RENDER_THROTTLE_MS: '250' }, [
      TaskQueues.stamp,
    ]);
    const handle = await startJob(h, { queueId, lineUserId: user.lineUserId, deliver: 'none' });
    const stored = async () => {
      const flags = await Promise.all(
        messages.map((_, i) => h.objects.exists(stickerKey(user.id, queueId, i + 1))),
      );
      return flags.filter(Boolean).length;
    };
    const before = await waitFor(
      async () => {
        const n = await stored();
        return n >= 2 && n < messages.length ? n : null;
      },
      'some but not all stickers stored',
      60_000,
    );
    first.child.kill('SIGKILL');
    await first.exited;
    const afterKill = await stored();
    expect(afterKill).toBeGreaterThanOrEqual(before);
    expect(afterKill).toBeLessThan(messages.length);

    const second = await startWorker(h.config, TaskQueues.stamp);
    try {
      const result = await handle.result();
      expect(result).toMatchObject({ queueId, status: 'completed', stickers: 12 });
    } finally {
      await second.stop();
    }

    expect(await h.db.lineStampTicketConsumption.count({ where: { userId: user.id } })).toBe(1);
    expect(await availableTickets(h.db, user.id)).toBe(1);
    const queue = await h.db.lineStampGenerateQueue.findUniqueOrThrow({
      where: { id: queueId },
      include: { images: true },
    });
    expect(queue.status).toBe('completed');
    expect(queue.images).toHaveLength(12 + 3);
    await expectCompleteSet(h, user.id, queueId, 12);

    // The retried batches skipped what the killed worker had already stored.
    // Payloads are sealed (lib/payload-codec.ts): opened with the test keyring first.
    const codec = payloadCodec(h.config.env);
    const history = await handle.fetchHistory();
    const completed = history.events!.flatMap((e) => {
      const payload = e.activityTaskCompletedEventAttributes?.result?.payloads?.[0];
      return payload ? [payload] : [];
    });
    const results = (await codec.decode(completed)).flatMap((p) => {
      if (!p.data) return [];
      const value = JSON.parse(Buffer.from(p.data).toString('utf8')) as unknown;
      return value && typeof value === 'object' && 'skipped' in value
        ? [value as { rendered: number[]; skipped: number[] }]
        : [];
    });
    const skipped = results.flatMap((r) => r.skipped);
    const rendered = results.flatMap((r) => r.rendered);
    expect(skipped.length).toBeGreaterThanOrEqual(afterKill > 0 ? 1 : 0);
    expect([...skipped, ...rendered].sort((a, b) => a - b)).toEqual(
      Array.from({ length: 12 }, (_, i) => i + 1),
    );
  }, 120_000);
});
