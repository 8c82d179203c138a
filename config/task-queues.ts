import {
  defineSearchAttributeKey,
  SearchAttributeType,
  type SearchAttributePair,
} from '@temporalio/common';

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

/** Typed keys for setting the attributes from workflows and clients. */
export const LineUserIdKey = defineSearchAttributeKey(
  SearchAttributes.lineUserId.name,
  SearchAttributeType.KEYWORD,
);
export const WorkKindKey = defineSearchAttributeKey(
  SearchAttributes.workKind.name,
  SearchAttributeType.KEYWORD,
);

export type WorkKind = 'session' | 'chat' | 'image' | 'follow' | 'unfollow' | 'stamp' | 'grant';

export function workSearchAttributes(
  lineUserId: string | undefined,
  kind: WorkKind,
): SearchAttributePair[] {
  const pairs: SearchAttributePair[] = [{ key: WorkKindKey, value: kind }];
  if (lineUserId) pairs.push({ key: LineUserIdKey, value: lineUserId });
  return pairs;
}
