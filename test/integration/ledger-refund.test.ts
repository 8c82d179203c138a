import type { Ledger } from '../../ledger/store';
import type { Db } from '../../lib/db';
import {
  ledgerFor,
  ManualClock,
  newDb,
  settleInput,
  turn,
  userWithPoints,
} from './ledger-fixtures';

/**
 * refundTurn: a settled turn whose answer never reached the user gets its charge back, once,
 * logged by the turn (point_ledger_logs reason `refund`, ref = turn ID), and the log still
 * replays to the lots. Turns that were never charged get nothing.
 */

let db: Db;
let ledger: Ledger;

beforeAll(() => {
  db = newDb();
});
afterAll(async () => {
  await db.$disconnect();
});
beforeEach(() => {
  ledger = ledgerFor(db, new ManualClock('2026-11-22T12:00:00+09:00'));
});

const balanceOf = async (userId: string) => (await ledger.getBalance(userId)).balance;

describe('refundTurn', () => {
  it('puts a settled charge back once, logged by the turn; the log replays', async () => {
    const user = await userWithPoints(db, ledger, 100);
    const turnId = turn();
    await ledger.reserveTurn({ turnId, userId: user.id, estimatePoints: 10 });
    await ledger.settleTurn(settleInput(user.id, turnId, 12));
    expect(await balanceOf(user.id)).toBe(88);

    const first = await ledger.refundTurn({ turnId, userId: user.id });
    expect(first).toEqual({ refunded: true, status: 'refunded', pointsRefunded: 12 });
    expect(await balanceOf(user.id)).toBe(100);
    const second = await ledger.refundTurn({ turnId, userId: user.id });
    expect(second).toEqual({ refunded: false, status: 'refunded', pointsRefunded: 12 });
    expect(await balanceOf(user.id)).toBe(100);

    const rows = await db.pointLedgerLog.findMany({
      where: { userId: user.id, ref: turnId, reason: 'refund' },
    });
    expect(rows.map((r) => r.delta)).toEqual([12]);
    expect(await ledger.replayCheck(user.id)).toEqual([]);
    // The usage stays recorded: the model did answer (a cost to us, not to the user).
    expect(await db.usageRecord.count({ where: { turnId } })).toBeGreaterThan(0);
  });

  it('pays a debt first when the charge overdrew the balance', async () => {
    const user = await userWithPoints(db, ledger, 5);
    const turnId = turn();
    await ledger.settleTurn(settleInput(user.id, turnId, 12));
    expect(await balanceOf(user.id)).toBe(-7);
    await ledger.refundTurn({ turnId, userId: user.id });
    expect(await balanceOf(user.id)).toBe(5);
    expect(await ledger.replayCheck(user.id)).toEqual([]);
  });

  it('gives nothing for a turn held, released or unknown, and refuses another user', async () => {
    const user = await userWithPoints(db, ledger, 100);
    const other = await userWithPoints(db, ledger, 100);
    const held = turn();
    await ledger.reserveTurn({ turnId: held, userId: user.id, estimatePoints: 10 });
    expect(await ledger.refundTurn({ turnId: held, userId: user.id })).toEqual({
      refunded: false,
      status: 'held',
      pointsRefunded: 0,
    });
    await ledger.releaseTurn({ turnId: held, userId: user.id });
    expect((await ledger.refundTurn({ turnId: held, userId: user.id })).status).toBe('released');
    expect((await ledger.refundTurn({ turnId: turn(), userId: user.id })).status).toBe('unknown');

    const settled = turn();
    await ledger.settleTurn(settleInput(user.id, settled, 12));
    await expect(ledger.refundTurn({ turnId: settled, userId: other.id })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    expect(await balanceOf(user.id)).toBe(88);
  });
});
