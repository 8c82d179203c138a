import type { Catalog } from '../config/catalog';
import type { Clock } from '../domain/clock';
import {
  assertCanChat,
  DEFAULT_TIME_ZONE,
  evaluateLimit,
  usageDate,
  type UsageView,
} from '../domain/daily-limit';
import { invalidInput } from '../domain/errors';
import {
  checkReserve,
  effectiveBalance,
  planAdjust,
  planCharge,
  planGrant,
  type LotChange,
} from '../domain/ledger';
import { Prisma, type Db, type PointLogReason, type Tx } from '../lib/db';
import { chargedFor, writePlan } from './lots';
import { refundTurnWith, type RefundTurn } from './refund';
import { readState } from './state';
import { ledgerViews } from './views';
import { holdTurn, recordSettlement, releaseHold, releaseTombstone } from './turns';
import type {
  AdjustPointsInput,
  AdjustPointsResult,
  BalanceView,
  GrantPointsInput,
  GrantPointsResult,
  ReleaseStaleHoldsInput,
  ReleaseStaleHoldsResult,
  ReleaseTurnInput,
  ReleaseTurnResult,
  ReserveTurnInput,
  ReserveTurnResult,
  SettleTurnInput,
  SettleTurnResult,
} from './types';
import { effectivePlan, lockUser, unknownUser, type LedgerUser } from './users';
import {
  optionalInstant,
  requireDelta,
  requireInstant,
  requireJson,
  requireKey,
  requireObject,
  requirePoints,
  requireReason,
  requireRecords,
  requireUserId,
  knownModelsOf,
} from './validate';

/**
 * The points ledger and the daily chat limit on PostgreSQL (seed 003 + seed 004, SPEC "Points
 * ledger", "Daily usage limit").
 *
 * Every operation is ONE transaction that starts by locking the user's row (users.ts explains
 * why a row lock and not SERIALIZABLE), loads rows, asks the pure rules (domain/ledger,
 * domain/daily-limit) what to do, and writes the result plus one point_ledger_logs row per lot
 * change. Every operation is idempotent by its key (turn ID, source ref), checked under the
 * lock, so a retried activity never has a second effect. Bad input is refused before the
 * transaction starts (BusinessError INVALID_INPUT / UNKNOWN_USER / UNKNOWN_MODEL); a business
 * refusal inside it (INSUFFICIENT_POINTS, USAGE_LIMIT_EXCEEDED, PLAN_RESTRICTION) rolls it back.
 *
 * Decisions the spec left open:
 * - Expired positive lots are left in place: they simply stop counting (domain/ledger never
 *   charges or offsets them), and the log keeps replaying to the lots exactly. No cleanup job.
 * - Settling a turn that has no hold (reserve skipped, or the turn was released) still works:
 *   the real cost is charged directly (overdraft rules of seed 003 apply) and the turn takes
 *   its daily slot then, without a limit check: the model has already answered, so the cost
 *   and the use are facts to record, not requests to refuse. Every settled non-privileged turn
 *   thus counts exactly once. The turn's point_reservations row (status `settled`) is the
 *   settlement marker in every case.
 * - Privileged users (privileged_users, by LINE user ID): reserve holds nothing and counts
 *   nothing (status `privileged`, no row); settle writes the usage records and raw usage for
 *   cost tracking but charges no lot. Privilege is read at each call.
 * - A soft-deleted user (unfollowed) cannot start a turn (UNKNOWN_USER), but turns in flight
 *   still settle or release, and grants still land (a payment is a payment).
 * - Time is the injected Clock's, read once per operation after the lock is granted.
 */

export interface LedgerDeps {
  db: Db;
  catalog: Pick<Catalog, 'plans' | 'defaultPlan' | 'modelTiers' | 'voice'>;
  /** IANA zone of the daily limit (env TIME_ZONE); default Asia/Tokyo. */
  timeZone?: string;
  /** Default: the system clock. */
  clock?: Clock;
  /**
   * Interactive-transaction limits in ms. `maxWaitMs` bounds the wait for a connection, and
   * `timeoutMs` the whole transaction (lock queue included): keep it well under the
   * activity's startToCloseTimeout so a timed-out attempt has rolled back before the retry.
   */
  transaction?: { maxWaitMs?: number; timeoutMs?: number };
}

/** Runs inside a settlement's transaction (chat archive rows, user counters, ...). */
export type AlsoInTransaction = (tx: Tx) => Promise<void>;

/**
 * Runs inside a grant's or adjustment's transaction, only when it changes the ledger (not when
 * its source was applied before): e.g. the operator's audit row, with the balance around it.
 */
export type AlsoWithChange = (
  tx: Tx,
  change: { balanceBefore: number; balanceAfter: number; held: number },
) => Promise<void>;

export interface Ledger {
  reserveTurn(input: ReserveTurnInput): Promise<ReserveTurnResult>;
  settleTurn(
    input: SettleTurnInput,
    alsoInTransaction?: AlsoInTransaction,
  ): Promise<SettleTurnResult>;
  releaseTurn(input: ReleaseTurnInput): Promise<ReleaseTurnResult>;
  refundTurn: RefundTurn;
  grantPoints(input: GrantPointsInput, alsoWithChange?: AlsoWithChange): Promise<GrantPointsResult>;
  adjustPoints(
    input: AdjustPointsInput,
    alsoWithChange?: AlsoWithChange,
  ): Promise<AdjustPointsResult>;
  getUsage(userId: string): Promise<UsageView>;
  getBalance(userId: string): Promise<BalanceView>;
  /** Differences between the replayed point_ledger_logs and point_lots ([] = consistent). */
  replayCheck(userId: string): Promise<string[]>;
  /** Releases holds of turns that never finished (e.g. terminated workflows); for a schedule. */
  releaseStaleHolds(input: ReleaseStaleHoldsInput): Promise<ReleaseStaleHoldsResult>;
}

const systemClock: Clock = { now: () => new Date() };

export function createLedger(deps: LedgerDeps): Ledger {
  const { db, catalog } = deps;
  const clock = deps.clock ?? systemClock;
  const timeZone = deps.timeZone ?? DEFAULT_TIME_ZONE;
  usageDate(new Date(0), timeZone); // an unknown zone fails here, not at the first chat
  const knownModels = knownModelsOf(catalog);
  const txOptions = {
    isolationLevel: Prisma.TransactionIsolationLevel.ReadCommitted,
    maxWait: deps.transaction?.maxWaitMs ?? 10_000,
    timeout: deps.transaction?.timeoutMs ?? 20_000,
  };

  /** A ledger transaction: the user's row lock first, then `fn` (time read after the lock). */
  function withUserLock<T>(
    userId: string,
    fn: (tx: Tx, user: LedgerUser, now: Date) => Promise<T>,
  ): Promise<T> {
    return db.$transaction(async (tx) => {
      const user = await lockUser(tx, userId);
      return fn(tx, user, clock.now());
    }, txOptions);
  }

  /** A consistent read without locks (one snapshot). */
  function snapshot<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return db.$transaction(fn, {
      ...txOptions,
      isolationLevel: Prisma.TransactionIsolationLevel.RepeatableRead,
    });
  }

  /** Seed 004 view from the user and the day's count (privileged users: unlimited). */
  function usageView(user: LedgerUser, used: number, now: Date): UsageView {
    if (user.privileged)
      return evaluateLimit({ dailyLimit: -1, usedToday: 0, privileged: true, now, timeZone });
    const { plan } = effectivePlan(user, catalog, now);
    return evaluateLimit({
      dailyLimit: plan.dailyChatLimit,
      usedToday: used,
      privileged: false,
      now,
      timeZone,
    });
  }

  /**
   * Claims `sourceRef` for this user (point_grants is unique on it). `false` = seen before, for
   * this user; a source already used for another user is refused. ON CONFLICT waits for a
   * concurrent claim of the same source to commit or roll back, so exactly one wins.
   */
  async function claimSource(
    tx: Tx,
    row: {
      sourceRef: string;
      userId: string;
      points: number;
      expiresAt: Date | null;
      reason: string;
      now: Date;
    },
  ): Promise<boolean> {
    const claimed = await tx.$queryRaw<{ userId: string; inserted: boolean }[]>`
      WITH ins AS (
        INSERT INTO point_grants (id, source_ref, user_id, points, expires_at, reason, created_at)
        VALUES (gen_random_uuid(), ${row.sourceRef}::text, ${row.userId}::uuid, ${row.points}::int,
                ${row.expiresAt}::timestamptz, ${row.reason}::text, ${row.now}::timestamptz)
        ON CONFLICT (source_ref) DO NOTHING
        RETURNING user_id)
      SELECT user_id::text AS "userId", true AS "inserted" FROM ins
      UNION ALL
      SELECT user_id::text, false FROM point_grants WHERE source_ref = ${row.sourceRef}::text`;
    const first = claimed[0];
    if (first?.inserted) return true;
    // No row at all: the conflicting claim committed after this statement's snapshot, which
    // only another user's transaction can do (this user's are serialized by the lock).
    if (!first || first.userId !== row.userId)
      throw invalidInput('sourceRef was already used for another user', { field: 'sourceRef' });
    return false;
  }

  function assertFuture(expiresAt: Date | null, now: Date): void {
    if (expiresAt && expiresAt.getTime() <= now.getTime())
      throw invalidInput('expiresAt must be in the future', { field: 'expiresAt' });
  }

  /** Ends the turn's hold if it is held; reports the turn's state. */
  async function release(tx: Tx, userId: string, turnId: string, now: Date) {
    const { reservation: r } = await readState(tx, userId, { turnId });
    if (!r) return null;
    if (r.userId !== userId)
      throw invalidInput('turnId belongs to another user', { field: 'turnId' });
    if (r.status !== 'held')
      return { released: false, status: r.status, releasedPoints: 0 } as const;
    await releaseHold(tx, turnId, now);
    return { released: true, status: 'released', releasedPoints: r.amount } as const;
  }

  const ledger: Ledger = {
    ...ledgerViews({ clock, timeZone, snapshot, usageView }),

    async reserveTurn(input) {
      const turnId = requireKey(input?.turnId, 'turnId');
      const userId = requireUserId(input?.userId);
      const estimate = requirePoints(input?.estimatePoints, 'estimatePoints', { allowZero: true });

      return withUserLock(userId, async (tx, user, now) => {
        const day = usageDate(now, timeZone);
        const state = await readState(tx, userId, { turnId, day });
        const existing = state.reservation;
        if (existing) {
          if (existing.userId !== userId)
            throw invalidInput('turnId belongs to another user', { field: 'turnId' });
          // Same turn again (a retried activity): report its state, change nothing.
          return {
            status: existing.status,
            heldPoints: existing.status === 'held' ? existing.amount : 0,
            usage: usageView(user, state.used, now),
          };
        }
        if (user.deletedAt) throw unknownUser(userId); // unfollowed: no new turns
        if (user.privileged)
          return {
            status: 'privileged',
            heldPoints: 0,
            usage: usageView(user, 0, now),
          };

        // Seed 004 first (a plan that may not chat is refused whatever the balance), counted
        // under the user's lock so concurrent turns cannot both take the last slot.
        const { plan } = effectivePlan(user, catalog, now);
        const limit = { dailyLimit: plan.dailyChatLimit, privileged: false, now, timeZone };
        assertCanChat({ ...limit, usedToday: state.used });

        // Seed 003 残高判定: effective balance net of the OTHER turns' holds (this turn has none).
        const check = checkReserve(state.lots, now, state.held, estimate);
        if (!check.ok) throw check.error;

        const used = await holdTurn(tx, { userId, turnId, amount: estimate, day, now });
        return {
          status: 'held',
          heldPoints: estimate,
          usage: evaluateLimit({ ...limit, usedToday: used }),
        };
      });
    },

    async settleTurn(input, alsoInTransaction) {
      const turnId = requireKey(input?.turnId, 'turnId');
      const userId = requireUserId(input?.userId);
      const records = requireRecords(input?.records, knownModels);
      const rawUsage = requireJson(input?.rawUsage, 'rawUsage');
      const metadata = requireObject(input?.metadata, 'metadata');
      if (alsoInTransaction !== undefined && typeof alsoInTransaction !== 'function')
        throw invalidInput('alsoInTransaction must be a function', { field: 'alsoInTransaction' });
      const points = requirePoints(
        records.reduce((sum, r) => sum + r.points, 0),
        'records points',
        { allowZero: true },
      );

      return withUserLock(userId, async (tx, user, now) => {
        const state = await readState(tx, userId, { turnId });
        const existing = state.reservation;
        if (existing && existing.userId !== userId)
          throw invalidInput('turnId belongs to another user', { field: 'turnId' });
        const holding = existing?.status === 'held' ? existing.amount : 0;
        const otherHolds = state.held - holding;
        if (existing?.status === 'settled')
          return {
            alreadySettled: true,
            privileged: user.privileged,
            pointsCharged: await chargedFor(tx, userId, turnId),
            releasedHold: 0,
            balanceAfter: effectiveBalance(state.lots, now, otherHolds),
          };

        // End the hold (its daily slot stays taken); a turn without one takes its slot now.
        const takeSlot = !user.privileged && existing?.status !== 'held';
        const usageDateKept = takeSlot
          ? (existing?.usageDate ?? usageDate(now, timeZone))
          : (existing?.usageDate ?? null);
        const marked = await recordSettlement(tx, {
          userId,
          turnId,
          records,
          rawUsage,
          metadata,
          usageDate: usageDateKept,
          takeSlot,
          now,
        });
        if (!marked) throw invalidInput('turnId belongs to another user', { field: 'turnId' });

        // Seed 003 ポイント使用（事後更新）: the real cost, soonest-expiring lots first.
        const pointsCharged = user.privileged ? 0 : points;
        const lots = await writePlan(tx, state.lots, planCharge(state.lots, now, pointsCharged), {
          userId,
          now,
          ref: turnId,
          reason: () => 'charge',
        });

        if (alsoInTransaction) await alsoInTransaction(tx);
        return {
          alreadySettled: false,
          privileged: user.privileged,
          pointsCharged,
          releasedHold: holding,
          balanceAfter: effectiveBalance(lots, now, otherHolds),
        };
      });
    },

    async releaseTurn(input) {
      const turnId = requireKey(input?.turnId, 'turnId');
      const givenUserId =
        input?.userId === undefined ? undefined : requireUserId(input.userId, 'userId');
      // The owner, to lock; a reservation's user never changes, so reading it unlocked is safe.
      const found = await db.pointReservation.findUnique({
        where: { turnId },
        select: { userId: true },
      });
      if (found && givenUserId && found.userId !== givenUserId)
        throw invalidInput('turnId belongs to another user', { field: 'turnId' });
      const userId = found?.userId ?? givenUserId;
      if (!userId) return { released: false, status: 'unknown', releasedPoints: 0 };

      return withUserLock(userId, async (tx, _user, now) => {
        const result = await release(tx, userId, turnId, now);
        if (result) return result;
        // Unknown turn, user given: a tombstone, so a late reserve of this turn is a no-op.
        await releaseTombstone(tx, { userId, turnId, now });
        return { released: false, status: 'released', releasedPoints: 0 };
      });
    },

    refundTurn: refundTurnWith(withUserLock),
    async grantPoints(input, alsoWithChange) {
      if (alsoWithChange !== undefined && typeof alsoWithChange !== 'function')
        throw invalidInput('alsoWithChange must be a function', { field: 'alsoWithChange' });
      const sourceRef = requireKey(input?.sourceRef, 'sourceRef');
      const userId = requireUserId(input?.userId);
      const points = requirePoints(input?.points, 'points', { allowZero: true });
      if (input?.expiresAt === undefined)
        throw invalidInput('expiresAt is required (null = never expires)', { field: 'expiresAt' });
      const expiresAt = optionalInstant(input.expiresAt, 'expiresAt');
      const reason = requireReason(input?.reason);

      return withUserLock(userId, async (tx, _user, now) => {
        const claim = { sourceRef, userId, points, expiresAt, reason, now };
        const claimed = await claimSource(tx, claim);
        const { lots, held } = await readState(tx, userId);
        const balanceBefore = effectiveBalance(lots, now, held);
        if (!claimed) return { granted: false, balanceAfter: balanceBefore };
        assertFuture(expiresAt, now);
        // Seed 003 ポイント付与: debts offset oldest first, the rest becomes a new lot.
        const after = await writePlan(tx, lots, planGrant(lots, points, expiresAt), {
          userId,
          now,
          ref: sourceRef,
          sourceRef,
          reason: (c: LotChange): PointLogReason => (c.kind === 'create' ? 'grant' : 'offset'),
        });
        const balanceAfter = effectiveBalance(after, now, held);
        if (alsoWithChange) await alsoWithChange(tx, { balanceBefore, balanceAfter, held });
        return { granted: true, balanceAfter };
      });
    },

    async adjustPoints(input, alsoWithChange) {
      if (alsoWithChange !== undefined && typeof alsoWithChange !== 'function')
        throw invalidInput('alsoWithChange must be a function', { field: 'alsoWithChange' });
      const sourceRef = requireKey(input?.sourceRef, 'sourceRef');
      const userId = requireUserId(input?.userId);
      const delta = requireDelta(input?.delta);
      const reason = requireReason(input?.reason);
      const expiresAt = optionalInstant(input?.expiresAt, 'expiresAt');

      return withUserLock(userId, async (tx, _user, now) => {
        const claim = { sourceRef, userId, points: delta, expiresAt, reason, now };
        const claimed = await claimSource(tx, claim);
        const { lots, held } = await readState(tx, userId);
        const balanceBefore = effectiveBalance(lots, now, held);
        if (!claimed) return { adjusted: false, balanceAfter: balanceBefore };
        if (delta > 0) assertFuture(expiresAt, now);
        const after = await writePlan(tx, lots, planAdjust(lots, now, delta, expiresAt), {
          userId,
          now,
          ref: sourceRef,
          sourceRef,
          reason: () => 'adjust',
        });
        const balanceAfter = effectiveBalance(after, now, held);
        if (alsoWithChange) await alsoWithChange(tx, { balanceBefore, balanceAfter, held });
        return { adjusted: true, balanceAfter };
      });
    },

    async releaseStaleHolds(input) {
      const olderThan = requireInstant(input?.olderThan, 'olderThan');
      const limit = requirePoints(input?.limit ?? 100, 'limit', { allowZero: false });
      const stale = await db.pointReservation.findMany({
        where: { status: 'held', createdAt: { lt: olderThan } },
        select: { turnId: true, userId: true },
        orderBy: { createdAt: 'asc' },
        take: limit,
      });
      const released: string[] = [];
      for (const { turnId, userId } of stale) {
        const result = await withUserLock(userId, (tx, _user, now) =>
          release(tx, userId, turnId, now),
        );
        if (result?.released) released.push(turnId);
      }
      return { released };
    },
  };
  return ledger;
}
