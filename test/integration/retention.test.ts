import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { AppConfig } from '../../config';
import { TaskQueues } from '../../config/task-queues';
import { fixedClock } from '../../domain/clock';
import { usageDate } from '../../domain/daily-limit';
import { baseKey, uploadKey } from '../../domain/stamp-keys';
import type { Db } from '../../lib/db';
import { createLogger } from '../../lib/logger';
import { createS3 } from '../../lib/s3';
import { ensureSchedules, retentionScheduleId } from '../../ops/schedules';
import { createStampObjects } from '../../services/stamp-objects';
import { freePort } from '../../scripts/infra/ports';
import { retentionPurge } from '../../workflows/retention-purge';
import {
  queueOf,
  startWorker,
  temporalClient,
  testConfig,
  uniquePrefix,
  waitFor,
  type RunningWorker,
} from '../support/workers';
import { isolatedDatabase, ledgerAt, newUser, settleTurnOf } from './ops-fixtures';

/**
 * Retention (seed 004): the retentionPurge workflow on a real worker whose clock is injected
 * ("in the future"), against a private database (a purge is global: on the shared test
 * database it would delete other files' rows). Then the daily schedule, created at API start-up.
 */
const DAY = 86_400_000;
const NOW = new Date('2031-03-15T12:00:00Z');

describe('retention purge', () => {
  let iso: Awaited<ReturnType<typeof isolatedDatabase>>;
  let db: Db;
  let config: AppConfig;
  let temporal: Client;
  let worker: RunningWorker;

  beforeAll(async () => {
    iso = await isolatedDatabase();
    db = iso.db;
    config = testConfig({ DATABASE_URL: iso.url, TASK_QUEUE_PREFIX: uniquePrefix('retention') });
    temporal = await temporalClient(config);
    worker = await startWorker(config, TaskQueues.billing, {
      depsOverrides: { clock: fixedClock(NOW), logger: createLogger('silent') },
    });
  }, 120_000);
  afterAll(async () => {
    await worker?.stop();
    await temporal?.connection.close();
    await iso?.drop();
  });

  const { retention } = testConfig().catalog;
  const ago = (days: number, extraMs = 0) => new Date(NOW.getTime() - days * DAY + extraMs);
  const run = (input: Parameters<typeof retentionPurge>[0]) =>
    temporal.workflow.execute(retentionPurge, {
      workflowId: `retention-test-${randomUUID()}`,
      taskQueue: queueOf(config, TaskQueues.billing),
      args: [input],
    });

  let live: { id: string };
  let rows: Record<string, string>;

  beforeAll(async () => {
    const at = (d: Date) => ledgerAt(db, config, fixedClock(d));
    live = await newUser(db, { planId: 'enterprise', createdAt: ago(3000) });
    await at(ago(3000)).grantPoints({
      sourceRef: `seed-${randomUUID()}`,
      userId: live.id,
      points: 100_000,
      expiresAt: null,
      reason: 'test',
    });
    const chatOld = await db.chatArchive.create({
      data: {
        userId: live.id,
        turnId: 'chat-old',
        role: 'user',
        content: 'old',
        createdAt: ago(retention.chatArchiveDays, -DAY),
      },
    });
    const chatNew = await db.chatArchive.create({
      data: {
        userId: live.id,
        turnId: 'chat-new',
        role: 'user',
        content: 'new',
        createdAt: ago(retention.chatArchiveDays, DAY),
      },
    });
    const usageOld = await settleTurnOf(at(ago(retention.usageLogDays, -DAY)), config, {
      userId: live.id,
    });
    const usageNew = await settleTurnOf(at(ago(retention.usageLogDays, DAY)), config, {
      userId: live.id,
    });
    const holdOld = `chat-${randomUUID()}`;
    const holdNew = `chat-${randomUUID()}`;
    await at(new Date(NOW.getTime() - 2 * 3600_000)).reserveTurn({
      turnId: holdOld,
      userId: live.id,
      estimatePoints: 5,
    });
    await at(new Date(NOW.getTime() - 10 * 60_000)).reserveTurn({
      turnId: holdNew,
      userId: live.id,
      estimatePoints: 6,
    });

    const goneUser = await newUser(db, { deletedAt: ago(retention.deletedUserDays, -DAY) });
    await db.chatArchive.create({
      data: {
        userId: goneUser.id,
        turnId: 'chat-gone',
        role: 'user',
        content: 'x',
        createdAt: NOW,
      },
    });
    await at(ago(100)).grantPoints({
      sourceRef: `seed-${randomUUID()}`,
      userId: goneUser.id,
      points: 10,
      expiresAt: null,
      reason: 'test',
    });
    await db.adminAuditLog.create({
      data: {
        actor: 'op',
        action: 'plan.set',
        targetUserId: goneUser.id,
        reason: 'kept after purge',
      },
    });
    const recentlyGone = await newUser(db, { deletedAt: ago(retention.deletedUserDays, DAY) });
    const eventAt = (days: number, extraMs: number) => ({
      source: 'line' as const,
      eventId: randomUUID(),
      eventType: 'text',
      receivedAt: ago(days, extraMs),
    });
    const eventOld = eventAt(retention.processedEventDays, -DAY);
    const eventNew = eventAt(retention.processedEventDays, DAY);
    await db.processedEvent.createMany({ data: [eventOld, eventNew] });
    await db.lineReply.createMany({
      data: [
        { deliveryId: eventOld.eventId, repliedAt: eventOld.receivedAt },
        { deliveryId: eventNew.eventId, repliedAt: eventNew.receivedAt },
      ],
    });

    // LINE inbox rows hold message text: relayed (or given up) ones go after lineInboxHours; a
    // row still waiting is kept whatever its age.
    const HOUR = 3_600_000;
    const inboxAt = (label: string, hoursAgo: number, done: Date | null) => ({
      webhookEventId: `${label}-${randomUUID()}`,
      lineUserId: 'U' + '1'.repeat(32),
      taskQueue: config.env.TASK_QUEUE_PREFIX + 'chat',
      event: { type: 'text', text: 'x' },
      receivedAt: new Date(NOW.getTime() - hoursAgo * HOUR),
      relayedAt: done,
    });
    const inboxOld = inboxAt('old', retention.lineInboxHours + 1, ago(1));
    const inboxNew = inboxAt('new', retention.lineInboxHours - 1, NOW);
    const inboxWaiting = inboxAt('waiting', retention.lineInboxHours + 1, null);
    await db.lineInboxEvent.createMany({ data: [inboxOld, inboxNew, inboxWaiting] });

    rows = {
      inboxOld: inboxOld.webhookEventId,
      inboxNew: inboxNew.webhookEventId,
      inboxWaiting: inboxWaiting.webhookEventId,
      chatOld: chatOld.id,
      chatNew: chatNew.id,
      usageOld: usageOld.turnId,
      usageNew: usageNew.turnId,
      usageOldDay: usageDate(ago(retention.usageLogDays, -DAY), config.env.TIME_ZONE),
      usageNewDay: usageDate(ago(retention.usageLogDays, DAY), config.env.TIME_ZONE),
      holdOld,
      holdNew,
      goneUser: goneUser.id,
      eventOld: eventOld.eventId,
      eventNew: eventNew.eventId,
      recentlyGone: recentlyGone.id,
    };
  });

  async function snapshot() {
    const [chats, records, raw, daily, holds, users, lots, audits, events, replies] =
      await Promise.all([
        db.chatArchive.findMany({ select: { id: true, turnId: true } }),
        db.usageRecord.findMany({ select: { turnId: true, ioType: true } }),
        db.openaiUsage.findMany({ select: { turnId: true } }),
        db.aiChatUsageLog.findMany({ select: { usageDate: true, userId: true } }),
        db.pointReservation.findMany({ select: { turnId: true, status: true } }),
        db.user.findMany({ select: { id: true } }),
        db.pointLot.findMany({ select: { userId: true } }),
        db.adminAuditLog.count(),
        db.processedEvent.findMany({ select: { eventId: true } }),
        db.lineReply.findMany({ select: { deliveryId: true } }),
      ]);
    return { chats, records, raw, daily, holds, users, lots, audits, events, replies };
  }

  it('with `now` from the input (today), nothing is old enough: nothing changes', async () => {
    const before = await snapshot();
    const result = await run({ now: new Date().toISOString(), batchSize: 1 });
    expect(result.deleted).toEqual({
      chat_archives: 0,
      usage_records: 0,
      openai_usages: 0,
      ai_chat_usage_logs: 0,
      deleted_users: 0,
      processed_events: 0,
      line_replies: 0,
      line_inbox_events: 0,
    });
    expect(result.staleHoldsReleased).toBe(0);
    expect(await snapshot()).toEqual(before);
  });

  it('with the injected clock ("in the future"), exactly the rows past each cutoff go, in bounded batches', async () => {
    const result = await run({ batchSize: 1 });
    expect(result.now).toBe(NOW.toISOString());
    expect(result.cutoffs.chat_archives).toBe(ago(retention.chatArchiveDays).toISOString());
    expect(result.cutoffs.deleted_users).toBe(ago(retention.deletedUserDays).toISOString());
    expect(result.deleted).toEqual({
      chat_archives: 1,
      usage_records: 2, // in + out of the old turn, one row per batch
      openai_usages: 1,
      ai_chat_usage_logs: 1,
      deleted_users: 1,
      processed_events: 1,
      line_replies: 1,
      line_inbox_events: 1,
    });
    expect(result.staleHoldsReleased).toBe(1);

    const s = await snapshot();
    const chatIds = s.chats.map((c) => c.id);
    expect(chatIds).not.toContain(rows.chatOld);
    expect(chatIds).toContain(rows.chatNew);
    expect(s.chats.map((c) => c.turnId)).not.toContain('chat-gone'); // cascaded with its user
    expect(s.records.map((r) => r.turnId).sort()).toEqual([rows.usageNew, rows.usageNew]);
    expect(s.raw.map((r) => r.turnId)).toEqual([rows.usageNew]);
    const days = s.daily.map((d) => d.usageDate.toISOString().slice(0, 10));
    expect(days).not.toContain(rows.usageOldDay);
    expect(days).toContain(rows.usageNewDay);
    const holds = Object.fromEntries(s.holds.map((h) => [h.turnId, h.status]));
    expect(holds[rows.holdOld!]).toBe('released');
    expect(holds[rows.holdNew!]).toBe('held');
    expect(holds[rows.usageOld!]).toBe('settled'); // idempotency keys are kept
    const userIds = s.users.map((u) => u.id);
    expect(userIds).not.toContain(rows.goneUser);
    expect(userIds).toContain(rows.recentlyGone);
    expect(userIds).toContain(live.id);
    expect(s.lots.map((l) => l.userId)).not.toContain(rows.goneUser);
    const eventIds = s.events.map((e) => e.eventId);
    expect(eventIds).not.toContain(rows.eventOld);
    expect(eventIds).toContain(rows.eventNew);
    const replyIds = s.replies.map((r) => r.deliveryId);
    expect(replyIds).not.toContain(rows.eventOld);
    expect(replyIds).toContain(rows.eventNew);
    expect(await db.adminAuditLog.count({ where: { targetUserId: rows.goneUser } })).toBe(1);
    const inbox = await db.lineInboxEvent.findMany({ select: { webhookEventId: true } });
    expect(inbox.map((r) => r.webhookEventId).sort()).toEqual(
      [rows.inboxNew, rows.inboxWaiting].sort(),
    );
    expect(await ledgerAt(db, config, fixedClock(NOW)).replayCheck(live.id)).toEqual([]);

    // Again: nothing left to purge.
    const again = await run({});
    expect(Object.values(again.deleted).every((n) => n === 0)).toBe(true);
    expect(again.staleHoldsReleased).toBe(0);
  });

  it("purging a user deletes their S3 objects too, and nobody else's", async () => {
    const s3 = createS3(config.env);
    const objects = createStampObjects(s3, config.env.S3_BUCKET);
    try {
      const gone = await newUser(db, { deletedAt: ago(retention.deletedUserDays, -DAY) });
      const stays = await newUser(db, { deletedAt: ago(retention.deletedUserDays, DAY) });
      const keysOf = (userId: string) => [
        uploadKey(userId, randomUUID(), 'jpeg'),
        baseKey(userId, randomUUID()),
      ];
      for (const key of [...keysOf(gone.id), ...keysOf(stays.id)])
        await objects.put(key, Buffer.from('photo'), 'image/jpeg');

      const result = await run({ batchSize: 10 });
      expect(result.deleted.deleted_users).toBeGreaterThanOrEqual(1);
      expect(await db.user.count({ where: { id: gone.id } })).toBe(0);
      expect(await objects.list(`stamps/${gone.id}/`)).toEqual([]);
      expect(await objects.list(`stamps/${stays.id}/`)).toHaveLength(2);
      await objects.deletePrefix(`stamps/${stays.id}/`);
    } finally {
      s3.destroy();
    }
  });

  describe('the retention-purge schedule', () => {
    let api: ChildProcess | undefined;
    let output = '';

    afterAll(async () => {
      if (api && api.exitCode === null) {
        const exited = new Promise((r) => api!.once('exit', r));
        api.kill('SIGTERM');
        await exited;
      }
      await temporal.schedule
        .getHandle(retentionScheduleId(config.env))
        .delete()
        .catch(() => {});
    });

    it('exists after API start-up, daily at 03:00 in TIME_ZONE, starting retentionPurge on the billing queue', async () => {
      const port = await freePort();
      api = spawn(process.execPath, ['--import', 'tsx', 'api/server.ts'], {
        cwd: path.resolve(__dirname, '../..'),
        env: {
          ...process.env,
          DATABASE_URL: iso.url,
          TASK_QUEUE_PREFIX: config.env.TASK_QUEUE_PREFIX,
          PORT: String(port),
          LOG_LEVEL: 'info',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      api.stdout?.on('data', (d: Buffer) => (output += d.toString()));
      api.stderr?.on('data', (d: Buffer) => (output += d.toString()));
      await waitFor(
        async () => output.includes('api listening'),
        `api start-up:\n${output}`,
        60_000,
      );
      expect(output).toContain('schedules ensured');
      expect((await fetch(`http://127.0.0.1:${port}/admin/usage`)).status).toBe(200);

      const handle = temporal.schedule.getHandle(retentionScheduleId(config.env));
      expect(handle.scheduleId).toBe(`${config.env.TASK_QUEUE_PREFIX}retention-purge`);
      const d = await handle.describe();
      expect(d.spec.timezone).toBe(config.env.TIME_ZONE);
      expect(d.spec.calendars).toHaveLength(1);
      expect(d.spec.calendars?.[0]).toMatchObject({
        hour: [{ start: 3, end: 3, step: 1 }],
        minute: [{ start: 0, end: 0, step: 1 }],
      });
      expect(d.action).toMatchObject({
        type: 'startWorkflow',
        workflowType: 'retentionPurge',
        taskQueue: queueOf(config, TaskQueues.billing),
      });
      expect(d.state.paused).toBe(false);
    });

    it('creating it again (another replica, a restart) is fine: it is updated, not duplicated', async () => {
      const first = await ensureSchedules(temporal, config.env);
      const second = await ensureSchedules(temporal, config.env);
      expect(first).toEqual({ [retentionScheduleId(config.env)]: 'updated' });
      expect(second).toEqual(first);
      const d = await temporal.schedule.getHandle(retentionScheduleId(config.env)).describe();
      expect(d.action).toMatchObject({ workflowType: 'retentionPurge' });
    });

    it('a triggered run purges through the worker', async () => {
      const handle = temporal.schedule.getHandle(retentionScheduleId(config.env));
      await handle.trigger();
      const workflowId = await waitFor(async () => {
        const d = await handle.describe();
        return d.info.recentActions[0]?.action.workflow.workflowId;
      }, 'the scheduled run');
      const result = (await temporal.workflow.getHandle(workflowId).result()) as Awaited<
        ReturnType<typeof retentionPurge>
      >;
      expect(result.now).toBe(NOW.toISOString());
      expect(result.deleted).toMatchObject({ chat_archives: 0, deleted_users: 0 });
    });
  });
});
