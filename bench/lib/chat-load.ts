import { randomUUID } from 'node:crypto';
import type { Ledger } from '../../ledger';
import type { Db } from '../../lib/db';
import { makeLineUserId, type StandIns } from '../../stand-ins';
import { lineSignature, textEvent, webhookBody } from '../../test/support/line-webhook';
import type { PlainTurnTimings } from './plain-chat-handler';

/**
 * bench/chat.ts's load: bench users (granted points), one turn (signed webhook POST, then the
 * reply awaited at the LINE stand-in by its reply token), and the open and closed loops.
 */

/** A turn not answered by then counts as failed (it may still be answered later). */
const TURN_TIMEOUT_MS = 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface BenchUser {
  id: string;
  lineUserId: string;
  sent: number;
}

export interface Sample {
  userId: string;
  lineUserId: string;
  webhookEventId: string;
  /** The token the turn's answer should use (how the bench finds its delivery). */
  replyToken: string;
  /** The user's first turn in this phase (for the product: the signal-with-start starts the session). */
  first: boolean;
  /** Epoch ms. */
  posted: number;
  arrived: number;
  latencyMs: number;
  /** Until the webhook's HTTP response (what LINE waits for). */
  ackMs: number;
  status: number;
  ok: boolean;
  error?: string;
  plain?: PlainTurnTimings;
}

// ---------------------------------------------------------------------------------------------
// Users and load

export async function createUsers(
  db: Db,
  ledger: Ledger,
  n: number,
  label: string,
  grant: number,
): Promise<BenchUser[]> {
  const users: BenchUser[] = [];
  const one = async (i: number) => {
    const lineUserId = makeLineUserId(`bench-${label}-${i}-${randomUUID()}`);
    const user = await db.user.create({ data: { lineUserId, planId: 'enterprise' } });
    await ledger.grantPoints({
      sourceRef: `bench-chat:${user.id}`,
      userId: user.id,
      points: grant,
      expiresAt: null,
      reason: 'benchmark',
    });
    users.push({ id: user.id, lineUserId, sent: 0 });
  };
  for (let i = 0; i < n; i += 10) {
    await Promise.all(Array.from({ length: Math.min(10, n - i) }, (_, j) => one(i + j)));
  }
  return users;
}

const QUESTIONS = [
  '明日の東京の天気と服装のおすすめを教えてください。',
  '簡単な晩ごはんのレシピをひとつ教えて。',
  '週末に行ける近場の観光地はどこがいい？',
  'メールの書き出しの丁寧な言い方を教えてください。',
];

export interface Driver {
  standIns: StandIns;
  channelSecret: string;
}

export async function oneTurn(d: Driver, url: string, user: BenchUser): Promise<Sample> {
  const { line } = d.standIns;
  const n = user.sent++;
  const replyToken = line.issueReplyToken({ userId: user.lineUserId });
  const event = textEvent(user.lineUserId, `${n + 1}回目: ${QUESTIONS[n % QUESTIONS.length]}`, {
    replyToken,
  });
  const body = webhookBody([event]);
  const signature = lineSignature(body, d.channelSecret);
  let arrivedAt = NaN;
  const waiter = line.waitFor((r) => {
    if (r.kind !== 'reply' || r.replyToken !== replyToken) return false;
    if (Number.isNaN(arrivedAt)) arrivedAt = performance.now();
    return true;
  }, TURN_TIMEOUT_MS);
  const postedAt = performance.now();
  const sample: Sample = {
    userId: user.id,
    lineUserId: user.lineUserId,
    webhookEventId: event.webhookEventId,
    replyToken,
    first: n === 0,
    posted: performance.timeOrigin + postedAt,
    arrived: NaN,
    latencyMs: NaN,
    ackMs: NaN,
    status: 0,
    ok: false,
  };
  try {
    const res = await fetch(`${url}/webhooks/line`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-line-signature': signature },
      body,
    });
    sample.ackMs = performance.now() - postedAt;
    sample.status = res.status;
    const json = (await res.json().catch(() => ({}))) as { timings?: PlainTurnTimings[] };
    if (json.timings?.[0]) sample.plain = json.timings[0];
    if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
    const record = await waiter;
    sample.arrived = performance.timeOrigin + arrivedAt;
    sample.latencyMs = arrivedAt - postedAt;
    const text = record.messages?.[0]?.text ?? '';
    sample.ok = text.includes('了解しました');
    if (!sample.ok) sample.error = `unexpected reply: ${text.slice(0, 60)}`;
  } catch (err) {
    waiter.catch(() => {});
    sample.error = (err as Error).message.slice(0, 200);
  }
  return sample;
}

/** Open loop: a turn every 1/rate s, each by an idle user (a user never has two in flight). */
export async function openLoop(
  d: Driver,
  url: string,
  users: BenchUser[],
  rate: number,
  maxTurns: number,
  seconds: number,
): Promise<{ samples: Sample[]; late: number }> {
  const idle = [...users];
  const waiting: Array<() => void> = [];
  const samples: Sample[] = [];
  const inFlight = new Set<Promise<void>>();
  let late = 0;
  const start = performance.now();
  for (let k = 0; k < maxTurns; k++) {
    const due = start + (k * 1000) / rate;
    if (due - start >= seconds * 1000) break;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    if (idle.length === 0) {
      late++;
      await new Promise<void>((r) => waiting.push(r));
    }
    // Bounded in wall time too: an overloaded system makes the sends fall behind schedule.
    if (performance.now() - start >= seconds * 1000) break;
    const user = idle.shift() as BenchUser;
    const p: Promise<void> = oneTurn(d, url, user).then((s) => {
      samples.push(s);
      idle.push(user);
      inFlight.delete(p);
      waiting.shift()?.();
    });
    inFlight.add(p);
  }
  await Promise.all(inFlight);
  return { samples, late };
}

/** Closed loop: every user sends its next message as soon as it has the answer. */
export async function closedLoop(
  d: Driver,
  url: string,
  users: BenchUser[],
  maxTurns: number,
  seconds: number,
): Promise<Sample[]> {
  const samples: Sample[] = [];
  const deadline = performance.now() + seconds * 1000;
  let started = 0;
  await Promise.all(
    users.map(async (user, i) => {
      // Spread the first messages over 0.5 s rather than one burst.
      await sleep((i / users.length) * 500);
      while (started < maxTurns && performance.now() < deadline) {
        started++;
        samples.push(await oneTurn(d, url, user));
      }
    }),
  );
  return samples;
}
