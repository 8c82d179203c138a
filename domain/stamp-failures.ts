/**
 * Failure types (ApplicationFailure `type`) that end a stamp job for good: retrying cannot help,
 * so the workflow gives the ticket back at once. Import-free: shared by activities and workflows.
 */
export const STAMP_PERMANENT_TYPES = [
  'BASE_IMAGE_MISSING',
  'BASE_IMAGE_INVALID',
  'STICKER_RENDER_FAILED',
  'STICKER_INVALID',
  'STICKER_MISSING',
  'QUEUE_NOT_FOUND',
] as const;

export type StampPermanentType = (typeof STAMP_PERMANENT_TYPES)[number];

/** failure_reason when the user has no ticket. */
export const NO_TICKET = 'NO_TICKET';
