import { usageDate, type UsageView } from '../domain/daily-limit';
import type { Clock } from '../domain/clock';
import { effectiveBalance, replayMismatches, spendableLots } from '../domain/ledger';
import type { Tx } from '../lib/db';
import { readState } from './state';
import type { BalanceView } from './types';
import { readUser, type LedgerUser } from './users';
import { requireUserId } from './validate';

export interface LedgerViewDeps {
  clock: Clock;
  timeZone: string;
  /** A consistent read without locks (one snapshot), from the ledger (store.ts). */
  snapshot<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** Seed 004 view from the user and the day's count (store.ts decides privilege and plan). */
  usageView(user: LedgerUser, used: number, now: Date): UsageView;
}

/**
 * The ledger's reads (part of createLedger, ledger/store.ts): usage, balance and the replay
 * check, each one snapshot without the user's lock, since none of them writes.
 */
export function ledgerViews({ clock, timeZone, snapshot, usageView }: LedgerViewDeps) {
  return {
    /**
     * Seed 004 `ai_chat_usage_logs`: chat turns per user per local calendar day. `usage_date`
     * is the day of the reserve in the configured time zone (domain/daily-limit `usageDate`),
     * never the database's or the server's idea of "today", so the reset is anchored at 00:00
     * in that zone. The counter only changes inside a ledger transaction holding the user's
     * lock (turns.ts), so concurrent turns can never exceed the limit.
     */
    async getUsage(userIdInput: string): Promise<UsageView> {
      const userId = requireUserId(userIdInput);
      return snapshot(async (tx) => {
        const user = await readUser(tx, userId);
        const now = clock.now();
        const { used } = await readState(tx, userId, { day: usageDate(now, timeZone) });
        return usageView(user, used, now);
      });
    },

    async getBalance(userIdInput: string): Promise<BalanceView> {
      const userId = requireUserId(userIdInput);
      return snapshot(async (tx) => {
        await readUser(tx, userId);
        const now = clock.now();
        const { lots, held } = await readState(tx, userId);
        const debts = lots.filter((l) => l.amount < 0);
        return {
          balance: effectiveBalance(lots, now, held),
          held,
          lots: [...spendableLots(lots, now), ...debts].map((l) => ({
            amount: l.amount,
            expiresAt: l.expiresAt && l.expiresAt.toISOString(),
          })),
        };
      });
    },

    async replayCheck(userIdInput: string): Promise<string[]> {
      const userId = requireUserId(userIdInput);
      return snapshot(async (tx) => {
        await readUser(tx, userId);
        const { lots } = await readState(tx, userId);
        const logs = await tx.pointLedgerLog.findMany({
          where: { userId },
          orderBy: { id: 'asc' },
          select: { lotId: true, delta: true, lotAmountAfter: true, lotExpiresAt: true },
        });
        return replayMismatches(lots, logs);
      });
    },
  };
}
