import { workflowInfo } from '@temporalio/workflow';
import { TaskQueues, type TaskQueueName } from '../../config/task-queues';

/**
 * The physical name of another task queue with the same prefix as `current` (e.g. the stamp
 * queue seen from a workflow running on `t-abc-chat`). Workflows cannot read the environment,
 * but they know their own task queue, and every queue is `<TASK_QUEUE_PREFIX><name>`.
 * A replay worker (test/integration/replay.test.ts) runs on a synthetic queue with no known
 * name: it gets the bare target, which replay does not compare (only command types and IDs).
 * Pure; safe in workflow code.
 */
export function siblingTaskQueue(current: string, target: TaskQueueName): string {
  for (const name of Object.values(TaskQueues)) {
    if (current.endsWith(name)) return `${current.slice(0, current.length - name.length)}${target}`;
  }
  return target;
}

/** The stamp queue, seen from the running workflow (whichever queue that runs on). */
export function stampTaskQueue(): string {
  return siblingTaskQueue(workflowInfo().taskQueue, TaskQueues.stamp);
}
