/**
 * An HTTP status that says the request itself is wrong: a 4xx other than timeout (408), conflict
 * (409) and rate limit (429). Sending the same request again fails the same way, so it is not
 * retried (activities/support/failures.ts, services/transcription.ts).
 */
export function isRequestRejected(status: unknown): status is number {
  return (
    typeof status === 'number' &&
    status >= 400 &&
    status < 500 &&
    status !== 408 &&
    status !== 409 &&
    status !== 429
  );
}
