import { randomUUID } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { WorkflowFailedError } from '@temporalio/client';
import { Runtime } from '@temporalio/worker';
import type { AppConfig } from '../../config';
import { TaskQueues, workSearchAttributes } from '../../config/task-queues';
import { stampJobWorkflowId } from '../../domain/stamp-keys';
import { createS3 } from '../../lib/s3';
import { temporalRuntimeLogger } from '../../lib/logger';
import { createStampObjects } from '../../services/stamp-objects';
import { storeStampJob } from '../../services/stamp-store';
import { makeLineUserId, startStandIns, type StandIns } from '../../stand-ins';
import { CHAT_TURN_FINISHED } from '../../workflows/chat-turn';
import { STAMP_JOB_FINISHED, stampJob } from '../../workflows/stamp-job';
import { chatTurnId } from '../../workflows/support/ids';
import { postLineWebhook, textEvent, webhookEventId } from '../support/line-webhook';
import { startTestApi, type TestApi } from '../support/test-api';
import { createTestUser, testLedger } from '../support/users';
import {
  queueOf,
  startWorker,
  temporalClient,
  testConfig,
  uniquePrefix,
  waitFor,
  type RunningWorker,
} from '../support/workers';
import { capturingLogger } from './ops-fixtures';
import { addTickets, gpsPhoto } from './stamp-fixtures';

type LogEntry = Record<string, unknown> & { msg?: string; level?: number };

/** pino's number for info. */
const INFO = 30;

/**
 * Every finished chat turn and sticker job leaves exactly one log line with its outcome, points
 * or stickers, durations and IDs, and never the user's text or captions. Real chat and stamp
 * workers, Temporal, PostgreSQL and MinIO; the LINE and LLM stand-ins. The Temporal Runtime's
 * logger is the production routing (lib/logger.ts temporalRuntimeLogger, as workers/main.ts
 * installs it) into an in-memory pino logger, so workflow `log` calls are what is read here.
 * Each finished workflow is then queried, which replays it from its history on the worker:
 * the line must not be written a second time.
 */
describe('one log line per finished chat turn and sticker job', () => {
  const workerLog = capturingLogger('worker');
  let standIns: StandIns;
  let config: AppConfig;
  let api: TestApi;
  let temporal: Client;
  const workers: RunningWorker[] = [];

  beforeAll(async () => {
    // Before any worker or connection: the Runtime is created once per process (this file's).
    Runtime.install({ logger: temporalRuntimeLogger(workerLog.logger, 'WARN') });
    standIns = await startStandIns({
      line: { channelAccessToken: process.env.LINE_CHANNEL_ACCESS_TOKEN! },
      llm: { apiKey: process.env.OPENAI_API_KEY!, latencyMs: 0 },
    });
    config = testConfig({ TASK_QUEUE_PREFIX: uniquePrefix('worklog'), ...standIns.env });
    api = await startTestApi(config);
    temporal = await temporalClient(config);
    workers.push(await startWorker(config, TaskQueues.chat));
    workers.push(await startWorker(config, TaskQueues.stamp));
  }, 90_000);
  afterAll(async () => {
    for (const w of workers) await w.stop();
    await temporal?.connection.close();
    await api?.stop();
    await standIns?.close();
  });

  const entries = (): LogEntry[] =>
    workerLog
      .text()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as LogEntry);
  const linesOf = (msg: string, key: string, id: string) =>
    entries().filter((e) => e.msg === msg && e[key] === id);

  /** Replays the closed workflow on the worker (a query on a closed run is answered by replay). */
  async function replay(handle: WorkflowHandle): Promise<void> {
    await handle.query('__temporal_workflow_metadata');
  }

  it('a chat turn answered and a chat turn failed: one line each, with outcome, points, durations and IDs, no text', async () => {
    const ledger = testLedger(api.deps.db, config);
    const user = await createTestUser(api.deps.db, ledger, { planId: 'premium', points: 10_000 });
    const tag = randomUUID().slice(0, 8);
    const message = `WORKLOG-${tag} 私の電話番号は090-1234-5678です`;
    const failing = `[[fail:400]] FAILING-${tag} 秘密の相談`;

    const say = async (text: string, n: number) => {
      const id = webhookEventId();
      const replyToken = standIns.line.issueReplyToken({ userId: user.lineUserId });
      const res = await postLineWebhook(api.url, config.env.LINE_CHANNEL_SECRET, [
        textEvent(user.lineUserId, text, { replyToken, webhookEventId: id }),
      ]);
      expect(res.status).toBe(200);
      await waitFor(
        async () => standIns.line.textsFor(user.lineUserId).length >= n,
        `${n} replies`,
      );
      const turnId = chatTurnId(id);
      const handle = temporal.workflow.getHandle(turnId);
      await handle.result();
      return { id, turnId, handle };
    };
    const answered = await say(message, 1);
    const failed = await say(failing, 2);
    await replay(answered.handle);
    await replay(failed.handle);

    const [ok, ...okMore] = linesOf(CHAT_TURN_FINISHED, 'turnId', answered.turnId);
    expect(okMore).toEqual([]);
    expect(ok).toMatchObject({
      level: INFO,
      sdkComponent: 'workflow',
      workflowId: answered.turnId,
      workflowType: 'chatTurn',
      webhookEventId: answered.id,
      outcome: 'answered',
      durationMs: expect.any(Number),
      sinceMessageMs: expect.any(Number),
    });
    // The points on the line are what the ledger charged the turn.
    const charges = await api.deps.db.pointLedgerLog.findMany({
      where: { ref: answered.turnId, reason: 'charge' },
    });
    const charged = -charges.reduce((sum, c) => sum + c.delta, 0);
    expect(charged).toBeGreaterThan(0);
    expect(ok!.pointsCharged).toBe(charged);
    expect(ok!.durationMs as number).toBeGreaterThanOrEqual(0);
    expect(ok!.durationMs as number).toBeLessThan(60_000);

    const [bad, ...badMore] = linesOf(CHAT_TURN_FINISHED, 'turnId', failed.turnId);
    expect(badMore).toEqual([]);
    expect(bad).toMatchObject({
      level: INFO,
      webhookEventId: failed.id,
      outcome: 'failed',
      pointsCharged: 0,
      failedStep: 'model',
      errorCode: expect.any(String),
    });

    const logs = workerLog.text();
    for (const secret of [`WORKLOG-${tag}`, '090-1234-5678', `FAILING-${tag}`, '秘密の相談'])
      expect({ secret, logged: logs.includes(secret) }).toEqual({ secret, logged: false });
  });

  it('a sticker job completed and one without a ticket: one line each, with outcome, stickers, duration and job ID, no captions', async () => {
    const db = api.deps.db;
    const objects = createStampObjects(createS3(config.env), config.env.S3_BUCKET);
    const tag = randomUUID().slice(0, 8);
    const captions = [`CAPTION-${tag}`, 'ありがとう', 'またね'];
    const run = async (tickets: number) => {
      const user = await db.user.create({ data: { lineUserId: makeLineUserId(randomUUID()) } });
      await addTickets(db, user.id, tickets);
      const queueId = randomUUID();
      await storeStampJob(db, objects, {
        queueId,
        userId: user.id,
        image: await gpsPhoto(),
        format: 'jpeg',
        messages: captions,
        source: 'http',
      });
      const handle = await temporal.workflow.start(stampJob, {
        workflowId: stampJobWorkflowId(queueId),
        taskQueue: queueOf(config, TaskQueues.stamp),
        args: [{ queueId, lineUserId: user.lineUserId, deliver: 'line' }],
        typedSearchAttributes: workSearchAttributes(user.lineUserId, 'stamp'),
      });
      const result = await handle.result().catch((err: unknown) => {
        if (err instanceof WorkflowFailedError) return undefined;
        throw err;
      });
      await replay(handle);
      return { queueId, result };
    };

    const done = await run(1);
    expect(done.result).toMatchObject({ status: 'completed', stickers: 3 });
    const [line, ...more] = linesOf(STAMP_JOB_FINISHED, 'queueId', done.queueId);
    expect(more).toEqual([]);
    expect(line).toMatchObject({
      level: INFO,
      sdkComponent: 'workflow',
      workflowId: stampJobWorkflowId(done.queueId),
      workflowType: 'stampJob',
      outcome: 'completed',
      stickers: 3,
      delivered: true,
      durationMs: expect.any(Number),
    });

    const refused = await run(0);
    expect(refused.result).toMatchObject({ status: 'failed', reason: 'NO_TICKET' });
    const [noTicket, ...noTicketMore] = linesOf(STAMP_JOB_FINISHED, 'queueId', refused.queueId);
    expect(noTicketMore).toEqual([]);
    expect(noTicket).toMatchObject({ outcome: 'failed', reason: 'NO_TICKET', stickers: 0 });

    expect(workerLog.text()).not.toContain(`CAPTION-${tag}`);
    expect(workerLog.text()).not.toContain('ありがとう');
  });
});
