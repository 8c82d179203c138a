/**
 * What the retention purge deletes, in the order it deletes them (activities/retention.ts has
 * the rules per target; workflows/retention-purge.ts walks this list). No I/O: the workflow
 * bundle imports it.
 */
export const RETENTION_TARGETS = [
  'chat_archives',
  'usage_records',
  'openai_usages',
  'ai_chat_usage_logs',
  'deleted_users',
  'processed_events',
  'line_replies',
  // Added after the others: runs recorded before it have none (workflows/retention-purge.ts).
  'line_inbox_events',
] as const;

export type RetentionTarget = (typeof RETENTION_TARGETS)[number];
