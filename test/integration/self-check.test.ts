import { randomUUID } from 'node:crypto';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { Client } from '@temporalio/client';
import { selfCheckObjectKey } from '../../activities/self-check';
import { TaskQueues } from '../../config/task-queues';
import { proceedSignal, stackSelfCheck } from '../../workflows';
import {
  queueOf,
  spawnWorkerProcess,
  startWorker,
  temporalClient,
  testConfig,
  uniquePrefix,
  waitFor,
  type RunningWorker,
} from '../support/workers';

/**
 * Proof that the stack is real: a workflow on a real worker against the real Temporal server
 * writes a row through Prisma and an object into S3, and survives its worker being killed.
 */
describe('stack self-check workflow', () => {
  const config = testConfig({ TASK_QUEUE_PREFIX: uniquePrefix('selfcheck') });
  let client: Client;
  let worker: RunningWorker | undefined;

  beforeAll(async () => {
    client = await temporalClient(config);
  });
  afterEach(async () => {
    await worker?.stop();
    worker = undefined;
  });
  afterAll(async () => {
    await client.connection.close();
  });

  async function readBack(w: RunningWorker, checkId: string) {
    const row = await w.deps.db.systemCheck.findUnique({ where: { checkId } });
    const object = await w.deps.s3.send(
      new GetObjectCommand({ Bucket: config.env.S3_BUCKET, Key: selfCheckObjectKey(checkId) }),
    );
    return { row, body: JSON.parse(await object.Body!.transformToString()) as unknown };
  }

  it('writes a row through Prisma and an object into S3', async () => {
    worker = await startWorker(config, TaskQueues.chat);
    const checkId = randomUUID();
    const result = await client.workflow.execute(stackSelfCheck, {
      taskQueue: queueOf(config, TaskQueues.chat),
      workflowId: `self-check-${checkId}`,
      args: [{ checkId }],
    });
    expect(result).toEqual({ writes: 1, objectKey: selfCheckObjectKey(checkId) });
    const { row, body } = await readBack(worker, checkId);
    expect(row?.writes).toBe(1);
    expect(body).toEqual({ checkId });
  });

  it('completes with each effect exactly once after its worker is SIGKILLed between them', async () => {
    const checkId = randomUUID();
    const env = { ...process.env, TASK_QUEUE_PREFIX: config.env.TASK_QUEUE_PREFIX } as Record<
      string,
      string
    >;
    const first = await spawnWorkerProcess(env, [TaskQueues.stamp]);
    const handle = await client.workflow.start(stackSelfCheck, {
      taskQueue: queueOf(config, TaskQueues.stamp),
      workflowId: `self-check-${checkId}`,
      args: [{ checkId, pauseBetweenEffects: true }],
    });

    // Wait until the first effect is recorded in history, then kill the worker outright.
    await waitFor(async () => {
      const history = await handle.fetchHistory();
      return history.events?.some((e) => e.activityTaskCompletedEventAttributes);
    }, 'the first activity to complete');
    first.child.kill('SIGKILL');
    await first.exited;

    await handle.signal(proceedSignal);
    const second = await spawnWorkerProcess(env, [TaskQueues.stamp]);
    try {
      const result = await handle.result();
      expect(result.objectKey).toBe(selfCheckObjectKey(checkId));
    } finally {
      // SIGTERM drains the worker: it exits cleanly.
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    }

    worker = await startWorker(config, TaskQueues.billing);
    const { row, body } = await readBack(worker, checkId);
    // `writes` counts physical executions of the row activity: replay did not run it again.
    expect(row?.writes).toBe(1);
    expect(body).toEqual({ checkId });
    const history = await handle.fetchHistory();
    const scheduled = history.events?.filter((e) => e.activityTaskScheduledEventAttributes);
    expect(scheduled).toHaveLength(2);
  });
});
