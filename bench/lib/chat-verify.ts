import { retryKeyFor } from '../../activities/line-messaging';
import type { Ledger } from '../../ledger';
import type { Db } from '../../lib/db';
import type { LineRecord } from '../../stand-ins';
import { chatTurnId } from '../../workflows/support/ids';

/**
 * What bench/chat.ts checks after every scenario, on the database and on what the LINE
 * stand-in received:
 *
 * - every user's ledger replays to its lots, and the lots hold the grant minus what was charged
 *   plus what was put back; the points charged equal the priced usage records;
 * - no hold is left;
 * - no reply token was answered twice (a duplicate answer);
 * - no turn is charged without its answer delivered: every settled turn either reached the
 *   stand-in (by its reply token, or pushed under the turn's retry key) or had its charge put
 *   back (a `refund` row of the turn in point_ledger_logs).
 */

export interface VerifiedUser {
  id: string;
}

export interface VerifiedSample {
  webhookEventId: string;
  replyToken: string;
  ok: boolean;
}

export interface PhaseVerification {
  scenario: string;
  path: string;
  users: number;
  discrepancies: number;
  holdsLeft: number;
  duplicateReplies: number;
  settledTurns: number;
  answeredTurns: number;
  /** Settled, not delivered, not put back: users who paid for nothing. Must be 0. */
  chargedWithoutDelivery: number;
  /** Settled turns whose charge was put back (undeliverable answers). */
  refundedTurns: number;
  problems: string[];
}

/** Reply tokens answered (with counts) and push retry keys seen, over all records. */
export function deliveryIndex(records: readonly LineRecord[]): {
  replies: Map<string, number>;
  pushKeys: Set<string>;
} {
  const replies = new Map<string, number>();
  const pushKeys = new Set<string>();
  for (const r of records) {
    if (r.kind === 'reply' && r.replyToken)
      replies.set(r.replyToken, (replies.get(r.replyToken) ?? 0) + 1);
    if (r.kind === 'push' && r.retryKey) pushKeys.add(r.retryKey);
  }
  return { replies, pushKeys };
}

export async function verifyPhase(
  db: Db,
  ledger: Ledger,
  phase: {
    scenario: string;
    path: string;
    grant: number;
    users: readonly VerifiedUser[];
    samples: readonly VerifiedSample[];
  },
  delivered: ReturnType<typeof deliveryIndex>,
): Promise<PhaseVerification> {
  const problems: string[] = [];
  let holdsLeft = 0;
  const check = async (u: VerifiedUser) => {
    for (const line of await ledger.replayCheck(u.id)) problems.push(`${u.id}: ${line}`);
    const [held, lots, charged, refunded, cost] = await Promise.all([
      db.pointReservation.count({ where: { userId: u.id, status: 'held' } }),
      db.pointLot.aggregate({ where: { userId: u.id }, _sum: { amount: true } }),
      db.pointLedgerLog.aggregate({
        where: { userId: u.id, reason: 'charge' },
        _sum: { delta: true },
      }),
      db.pointLedgerLog.aggregate({
        where: { userId: u.id, reason: 'refund' },
        _sum: { delta: true },
      }),
      db.usageRecord.aggregate({ where: { userId: u.id }, _sum: { points: true } }),
    ]);
    holdsLeft += held;
    if (held > 0) problems.push(`${u.id}: ${held} hold(s) left`);
    const spent = -(charged._sum.delta ?? 0);
    const back = refunded._sum.delta ?? 0;
    if (spent !== (cost._sum.points ?? 0))
      problems.push(`${u.id}: charged ${spent}, usage records cost ${cost._sum.points ?? 0}`);
    if ((lots._sum.amount ?? 0) !== phase.grant - spent + back)
      problems.push(
        `${u.id}: lots hold ${lots._sum.amount}, expected ${phase.grant - spent + back}`,
      );
  };
  for (let i = 0; i < phase.users.length; i += 10) {
    await Promise.all(phase.users.slice(i, i + 10).map(check));
  }

  const userIds = phase.users.map((u) => u.id);
  const settled = await db.pointReservation.findMany({
    where: { userId: { in: userIds }, status: 'settled' },
    select: { turnId: true },
  });
  const refundRows = await db.pointLedgerLog.findMany({
    where: { userId: { in: userIds }, reason: 'refund' },
    select: { ref: true },
    distinct: ['ref'],
  });
  const refundedIds = new Set(refundRows.map((r) => r.ref));
  // The product's turn is chat-<webhookEventId>; the plain handler's plain-<webhookEventId>.
  const turnIdOf = (id: string) => (phase.path === 'plain' ? `plain-${id}` : chatTurnId(id));
  const byTurn = new Map(phase.samples.map((s) => [turnIdOf(s.webhookEventId), s]));
  let chargedWithoutDelivery = 0;
  for (const { turnId } of settled) {
    if (refundedIds.has(turnId)) continue;
    const sample = byTurn.get(turnId);
    const reached =
      (sample !== undefined && (delivered.replies.get(sample.replyToken) ?? 0) > 0) ||
      delivered.pushKeys.has(retryKeyFor(turnId, 0));
    if (!reached) chargedWithoutDelivery++;
  }
  if (chargedWithoutDelivery > 0)
    problems.push(`${chargedWithoutDelivery} turn(s) charged without their answer delivered`);
  let duplicateReplies = 0;
  for (const s of phase.samples)
    duplicateReplies += Math.max(0, (delivered.replies.get(s.replyToken) ?? 0) - 1);
  if (duplicateReplies > 0) problems.push(`${duplicateReplies} duplicate replies`);
  const answeredTurns = phase.samples.filter((s) => s.ok).length;
  return {
    scenario: phase.scenario,
    path: phase.path,
    users: phase.users.length,
    discrepancies: problems.length,
    holdsLeft,
    duplicateReplies,
    settledTurns: settled.length,
    answeredTurns,
    chargedWithoutDelivery,
    refundedTurns: refundedIds.size,
    problems,
  };
}
