/**
 * Plan state from subscription events. Stripe sends them out of order and more than once, so
 * every rule here is a guard that makes a late or repeated event a no-op:
 *
 * - A subscription that has ended (customer.subscription.deleted, or a terminal status) leaves
 *   a marker; nothing later about that subscription sets a paid plan again.
 * - For the subscription the user already has, the paid period never moves backwards: an older
 *   invoice or update arriving after a newer one changes nothing.
 * - A period that is already over sets nothing (the plan would lapse at once anyway).
 * - Back to free: when the subscription ends. Until then a cancelled-at-period-end or past-due
 *   subscription keeps its plan, and `plan_period_end` ends it on time even if the deleted
 *   event is late (the ledger reads the plan as the default plan after that instant).
 */

/** Statuses after which a subscription never pays again: its end is final (marker). */
export const FINAL_STATUSES = ['canceled', 'incomplete_expired'] as const;
/** Statuses that stop the paid plan now, but from which Stripe may still resume. */
export const SUSPENDED_STATUSES = ['unpaid', 'paused'] as const;
/** Statuses that pay for a plan. */
export const PAYING_STATUSES = ['active', 'trialing'] as const;

export interface UserPlanState {
  planId: string;
  planPeriodEnd: Date | null;
  stripeSubscriptionId: string | null;
}

export type PlanDecision =
  | { action: 'set'; planId: string; periodEnd: Date; subscriptionId: string }
  /** Back to the default plan; `final`: the subscription can never pay again. */
  | { action: 'end'; subscriptionId: string; final: boolean }
  | { action: 'keep'; reason: string };

/** A paid period of `subscriptionId` (from invoice.paid or an active subscription). */
export function decidePaidPeriod(
  user: UserPlanState,
  incoming: { subscriptionId: string; planId: string; periodEnd: Date | undefined; ended: boolean },
  now: Date,
): PlanDecision {
  if (incoming.ended) return { action: 'keep', reason: 'subscription already ended' };
  if (!incoming.periodEnd) return { action: 'keep', reason: 'no period end in the event' };
  if (incoming.periodEnd.getTime() <= now.getTime())
    return { action: 'keep', reason: 'period already over' };
  if (
    user.stripeSubscriptionId === incoming.subscriptionId &&
    user.planPeriodEnd &&
    user.planPeriodEnd.getTime() > incoming.periodEnd.getTime()
  )
    return { action: 'keep', reason: 'a later period is already recorded' };
  return {
    action: 'set',
    planId: incoming.planId,
    periodEnd: incoming.periodEnd,
    subscriptionId: incoming.subscriptionId,
  };
}

/** customer.subscription.updated / .deleted. */
export function decideSubscriptionChange(
  user: UserPlanState,
  change: {
    subscriptionId: string;
    status: string;
    deleted: boolean;
    planId: string | undefined;
    periodEnd: Date | undefined;
    ended: boolean;
  },
  now: Date,
): PlanDecision {
  const final = change.deleted || (FINAL_STATUSES as readonly string[]).includes(change.status);
  if (final || (SUSPENDED_STATUSES as readonly string[]).includes(change.status)) {
    // Another (newer) subscription of the user is not ended by this one.
    if (user.stripeSubscriptionId && user.stripeSubscriptionId !== change.subscriptionId)
      return { action: 'keep', reason: 'the user has another subscription' };
    return { action: 'end', subscriptionId: change.subscriptionId, final };
  }
  if (!(PAYING_STATUSES as readonly string[]).includes(change.status))
    return { action: 'keep', reason: `status ${change.status} keeps the current plan` };
  if (!change.planId) return { action: 'keep', reason: 'subscription names no known product' };
  return decidePaidPeriod(
    user,
    {
      subscriptionId: change.subscriptionId,
      planId: change.planId,
      periodEnd: change.periodEnd,
      ended: change.ended,
    },
    now,
  );
}
