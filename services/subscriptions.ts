import { decidePaidPeriod, decideSubscriptionChange, type PlanDecision } from '../billing/plans';
import type { Catalog } from '../config/catalog';
import type { Db, Tx, User } from '../lib/db';
import { customerHeld, lockBillingUser } from './billing-customers';
import { addMarker, hasMarker, subscriptionEndedMarker } from './stripe-markers';

/**
 * A user's plan from their Stripe subscription: each change is decided by billing/plans.ts on
 * the row read under the user lock, and applied in the same transaction.
 */

export interface SubscriptionDeps {
  db: Db;
  catalog: Pick<Catalog, 'defaultPlan'>;
  /** The workflow deciding (recorded on an end-of-subscription marker). */
  workflowId: string | null;
}

export interface PlanChange {
  decision: PlanDecision;
  /** True when the user's row changed. */
  changed: boolean;
  /** The user's plan before (what the LINE notice compares the new plan with). */
  previousPlanId: string;
}

/** A paid period of the subscription (invoice.paid). */
export async function applyPaidPeriod(
  deps: SubscriptionDeps,
  input: {
    userId: string;
    subscriptionId: string;
    planId: string;
    periodEnd: Date | undefined;
    customerId?: string;
    now: Date;
  },
): Promise<PlanChange> {
  return deps.db.$transaction(async (tx) => {
    const user = await lockBillingUser(tx, input.userId);
    const ended = await hasMarker(tx, subscriptionEndedMarker(input.subscriptionId));
    const decision = decidePaidPeriod(
      user,
      {
        subscriptionId: input.subscriptionId,
        planId: input.planId,
        periodEnd: input.periodEnd,
        ended,
      },
      input.now,
    );
    return {
      decision,
      changed: await applyPlan(deps, tx, user, decision, input.customerId),
      previousPlanId: user.planId,
    };
  });
}

/** customer.subscription.updated / .deleted. */
export async function applySubscriptionChange(
  deps: SubscriptionDeps,
  input: {
    userId: string;
    subscriptionId: string;
    status: string;
    deleted: boolean;
    /** The catalog plan of the subscription's product; undefined when it is not one. */
    planId: string | undefined;
    periodEnd: Date | undefined;
    customerId?: string;
    now: Date;
  },
): Promise<PlanChange> {
  return deps.db.$transaction(async (tx) => {
    const user = await lockBillingUser(tx, input.userId);
    const decision = decideSubscriptionChange(
      user,
      {
        subscriptionId: input.subscriptionId,
        status: input.status,
        deleted: input.deleted,
        planId: input.planId,
        periodEnd: input.periodEnd,
        ended: await hasMarker(tx, subscriptionEndedMarker(input.subscriptionId)),
      },
      input.now,
    );
    return {
      decision,
      changed: await applyPlan(deps, tx, user, decision, input.customerId),
      previousPlanId: user.planId,
    };
  });
}

async function applyPlan(
  deps: SubscriptionDeps,
  tx: Tx,
  user: User,
  decision: PlanDecision,
  customerId: string | undefined,
): Promise<boolean> {
  const { defaultPlan } = deps.catalog;
  if (decision.action === 'keep') return false;
  if (decision.action === 'set') {
    const unchanged =
      user.planId === decision.planId &&
      user.planPeriodEnd?.getTime() === decision.periodEnd.getTime() &&
      user.stripeSubscriptionId === decision.subscriptionId;
    await tx.user.update({
      where: { id: user.id },
      data: {
        planId: decision.planId,
        planPeriodEnd: decision.periodEnd,
        stripeSubscriptionId: decision.subscriptionId,
        ...(customerId && !user.stripeCustomerId && !(await customerHeld(tx, customerId))
          ? { stripeCustomerId: customerId }
          : {}),
      },
    });
    return !unchanged;
  }
  if (decision.final)
    await addMarker(tx, {
      eventId: subscriptionEndedMarker(decision.subscriptionId),
      eventType: 'subscription.ended',
      workflowId: deps.workflowId,
    });
  const changed = user.planId !== defaultPlan || user.stripeSubscriptionId !== null;
  await tx.user.update({
    where: { id: user.id },
    data: { planId: defaultPlan, planPeriodEnd: null, stripeSubscriptionId: null },
  });
  return changed;
}
