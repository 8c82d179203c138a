import { TaskQueues, type TaskQueueName } from '../config/task-queues';
import { createSelfCheckActivities } from '../activities/self-check';
import type { WorkerDeps } from './deps';

/**
 * What each task queue serves. Every queue shares the workflow bundle; activities are split
 * so that each queue's workers can be scaled (and given resources) on their own.
 */
export function activitiesFor(queue: TaskQueueName, deps: WorkerDeps): object {
  const shared = createSelfCheckActivities({
    db: deps.db,
    s3: deps.s3,
    bucket: deps.config.env.S3_BUCKET,
  });
  switch (queue) {
    case TaskQueues.chat:
      return { ...shared };
    case TaskQueues.stamp:
      return { ...shared };
    case TaskQueues.billing:
      return { ...shared };
  }
}
