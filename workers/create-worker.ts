import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { taskQueue, type TaskQueueName } from '../config/task-queues';
import { temporalDataConverter } from '../lib/temporal';
import type { WorkerDeps } from './deps';
import { activitiesFor, workerOptionsFor } from './queues';
import { WORKFLOWS_PATH } from './workflows-path';

export async function createQueueWorker(
  queue: TaskQueueName,
  connection: NativeConnection,
  deps: WorkerDeps,
  overrides: Partial<WorkerOptions> = {},
): Promise<Worker> {
  const bundlePath = deps.config.env.WORKFLOW_BUNDLE_PATH;
  return Worker.create({
    connection,
    namespace: deps.config.env.TEMPORAL_NAMESPACE,
    taskQueue: taskQueue(deps.config.env.TASK_QUEUE_PREFIX, queue),
    // Sealed payloads both ways: what this worker reads must be sealed with a known key
    // (lib/payload-codec.ts), so reaching Temporal is not enough to start or signal work.
    dataConverter: temporalDataConverter(deps.config.env),
    // A prebuilt bundle (tests, production images) skips the few seconds of bundling at start.
    ...(bundlePath
      ? { workflowBundle: { codePath: bundlePath } }
      : { workflowsPath: WORKFLOWS_PATH }),
    activities: activitiesFor(queue, deps),
    ...workerOptionsFor(queue, deps),
    ...overrides,
  });
}
