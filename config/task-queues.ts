/**
 * Task queue names. Kept free of any Node import so that workflow code may use them
 * (a workflow that starts a child on another queue needs the name).
 */
export const TaskQueues = {
  chat: 'chat',
  stamp: 'stamp',
  billing: 'billing',
} as const;

export type TaskQueueName = (typeof TaskQueues)[keyof typeof TaskQueues];

/** The physical queue name: a prefix (TASK_QUEUE_PREFIX) keeps parallel test runs apart. */
export function taskQueue(prefix: string, queue: TaskQueueName): string {
  return `${prefix}${queue}`;
}

/** Custom search attributes registered on the Temporal server (see scripts/infra). */
export const SearchAttributes = {
  lineUserId: { name: 'LineUserId', type: 'Keyword' },
  workKind: { name: 'WorkKind', type: 'Keyword' },
} as const;
