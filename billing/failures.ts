/**
 * Failure types of the billing activities (ApplicationFailure `type`), importable from workflow
 * code. Each message says what is wrong and what happens next, because operators read them in
 * the Temporal UI.
 */
export const BillingFailure = {
  /** No user is linked to the event's customer/subscription yet: retried with backoff. */
  userNotLinked: 'BILLING_USER_NOT_LINKED',
  /** The event names no user, customer or subscription at all: nothing to wait for. */
  noOwner: 'BILLING_NO_OWNER',
  /** The user named by our own metadata does not exist (purged, or another environment's). */
  unknownUser: 'UNKNOWN_USER',
  /** The event's product is not in the catalog (or is the wrong kind). */
  unknownProduct: 'UNKNOWN_PRODUCT',
  /** Stripe refused a look-up (4xx): retrying cannot help. */
  stripeRejected: 'STRIPE_REJECTED',
  /** What was paid (amount, currency) is not the product's catalog price: nothing is granted. */
  paymentMismatch: 'PAYMENT_MISMATCH',
  /** An idempotency key reused with other parameters (services/idempotency.ts). */
  idempotencyConflict: 'IDEMPOTENCY_CONFLICT',
} as const;

export const BILLING_NON_RETRYABLE_TYPES = [
  BillingFailure.noOwner,
  BillingFailure.unknownUser,
  BillingFailure.unknownProduct,
  BillingFailure.stripeRejected,
  BillingFailure.paymentMismatch,
  BillingFailure.idempotencyConflict,
  // Ledger refusals (workflows/support/activity-options.ts LEDGER_NON_RETRYABLE_TYPES).
  'INVALID_INPUT',
  'UNKNOWN_MODEL',
];
