import { noTicketText } from '../domain/stamp-texts';

/**
 * The "no ticket" reply: a refusal, so it creates no Stripe Checkout session (issue #13: every
 * refusal used to open one per ticket product). It tells the user to send 「購入」, which lists
 * the products; a session is created only when the user picks one.
 */
export function noTicketReply(): string {
  return noTicketText([]);
}
