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

/** Custom search attributes registered on the Temporal server (see scripts/infra). */
export const SearchAttributes = {
  lineUserId: { name: 'LineUserId', type: 'Keyword' },
  workKind: { name: 'WorkKind', type: 'Keyword' },
} as const;
