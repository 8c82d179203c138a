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

/**
 * A permanent stamp-job failure raised by the stamp services, which know nothing of Temporal;
 * the activity adapter turns it into a non-retryable ApplicationFailure of the same type.
 */
export class StampPermanentError extends Error {
  constructor(
    readonly type: StampPermanentType,
    message: string,
  ) {
    super(message);
    this.name = 'StampPermanentError';
  }
}

/** Throws the permanent failure `type` (the job gives its ticket back at once). */
export function permanent(type: StampPermanentType, message: string): never {
  throw new StampPermanentError(type, message);
}
