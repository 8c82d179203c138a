import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import {
  ApplicationFailure,
  DefaultFailureConverter,
  defaultPayloadConverter,
} from '@temporalio/common';
import { createLedgerActivities, type LedgerActivities } from '../../activities/ledger';
import {
  LEDGER_ACTIVITY_OPTIONS,
  LEDGER_NON_RETRYABLE_TYPES,
  LEDGER_SETTLE_ACTIVITY_OPTIONS,
} from '../../workflows/support/activity-options';
import { fixedClock } from '../../domain/clock';
import { BusinessError, ERROR_CODES } from '../../domain/errors';
import type { Ledger } from '../../ledger/store';
import { createPrisma, type Db } from '../../lib/db';
import { catalog, ledgerFor, newDb, newUser, settleInput, turn } from './ledger-fixtures';

/**
 * The ledger as Temporal activities: business errors become typed, non-retryable
 * ApplicationFailures carrying their details through Temporal's failure conversion;
 * infrastructure errors stay retryable; the workflow-side options agree with the codes.
 */

let db: Db;
let ledger: Ledger;
let activities: LedgerActivities;
const clock = fixedClock('2026-11-22T23:59:59+09:00');

beforeAll(() => {
  db = newDb();
  ledger = ledgerFor(db, clock);
  activities = createLedgerActivities({ ledger });
});
afterAll(async () => {
  await db.$disconnect();
});

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e,
  );
  if (!(err instanceof ApplicationFailure)) throw err;
  return err;
}

/** What a workflow sees: the failure after Temporal's (de)serialization. */
function throughTemporal(failure: ApplicationFailure): ApplicationFailure {
  const converter = new DefaultFailureConverter();
  const proto = converter.errorToFailure(failure, defaultPayloadConverter);
  const back = converter.failureToError(proto, defaultPayloadConverter);
  if (!(back instanceof ApplicationFailure)) throw new Error('not an ApplicationFailure');
  return back;
}

it('reserves and releases with JSON-shaped input, around the ledger itself', async () => {
  const user = await newUser(db, { planId: 'basic' });
  const grant = {
    sourceRef: `evt_${randomUUID()}`,
    userId: user.id,
    points: 100,
    expiresAt: '2027-01-01T00:00:00.000Z',
    reason: 'purchase',
  };
  expect(await ledger.grantPoints(grant)).toEqual({ granted: true, balanceAfter: 100 });
  const turnId = turn();
  await activities.reserveTurn({ turnId, userId: user.id, estimatePoints: 10 });
  // Records as they arrive after a Temporal hop: plain JSON.
  const input = JSON.parse(JSON.stringify(settleInput(user.id, turnId, 12))) as ReturnType<
    typeof settleInput
  >;
  expect(await ledger.settleTurn(input)).toMatchObject({ pointsCharged: 12 });
  expect(await ledger.getBalance(user.id)).toMatchObject({ balance: 88 });
  expect(await ledger.getUsage(user.id)).toMatchObject({ remainingCount: 9 });
  expect(await ledger.replayCheck(user.id)).toEqual([]);
  expect(await activities.releaseTurn({ turnId })).toMatchObject({ status: 'settled' });
});

it('INSUFFICIENT_POINTS: non-retryable, type = code, details[0] = required/available', async () => {
  const user = await newUser(db, { planId: 'enterprise' });
  const failure = await failureOf(
    activities.reserveTurn({ turnId: turn(), userId: user.id, estimatePoints: 5 }),
  );
  expect(failure.type).toBe('INSUFFICIENT_POINTS');
  expect(failure.nonRetryable).toBe(true);
  expect(failure.details).toEqual([{ required: 5, available: 0 }]);
  const seen = throughTemporal(failure);
  expect(seen.type).toBe('INSUFFICIENT_POINTS');
  expect(seen.nonRetryable).toBe(true);
  expect(seen.details).toEqual([{ required: 5, available: 0 }]);
});

it('USAGE_LIMIT_EXCEEDED carries resetTime and remaining to the workflow', async () => {
  const user = await newUser(db, { planId: 'free' });
  const limit = catalog.plans.free?.dailyChatLimit ?? 0;
  for (let i = 0; i < limit; i++)
    await activities.reserveTurn({ turnId: turn(), userId: user.id, estimatePoints: 0 });
  const failure = await failureOf(
    activities.reserveTurn({ turnId: turn(), userId: user.id, estimatePoints: 0 }),
  );
  const seen = throughTemporal(failure);
  expect(seen.type).toBe('USAGE_LIMIT_EXCEEDED');
  expect(seen.message).toBe('本日の利用回数上限に達しました。明日の00:00にリセットされます。');
  expect(seen.details?.[0]).toEqual({
    dailyLimit: limit,
    remaining: 0,
    resetTime: '2026-11-23T00:00:00+09:00',
  });
});

it('bad input and unknown users are non-retryable too', async () => {
  const bad = await failureOf(
    activities.reserveTurn({ turnId: '', userId: randomUUID(), estimatePoints: 1 }),
  );
  expect([bad.type, bad.nonRetryable]).toEqual(['INVALID_INPUT', true]);
  const unknown = await failureOf(
    activities.reserveTurn({ turnId: turn(), userId: randomUUID(), estimatePoints: 1 }),
  );
  expect([unknown.type, unknown.nonRetryable]).toEqual(['UNKNOWN_USER', true]);
});

it('SYSTEM_ERROR stays retryable; infrastructure errors pass through unchanged', async () => {
  const failing = (err: Error) =>
    createLedgerActivities({
      ledger: {
        releaseTurn: () => Promise.reject(err),
      } as unknown as Ledger,
    });
  const system = await failureOf(
    failing(new BusinessError('SYSTEM_ERROR', 'lot moved')).releaseTurn({ turnId: 't' }),
  );
  expect([system.type, system.nonRetryable]).toEqual(['SYSTEM_ERROR', false]);

  // A database that does not answer: a plain error, so the retry policy applies.
  const down = createPrisma('postgresql://postgres@127.0.0.1:1/nowhere');
  try {
    const offline = createLedgerActivities({ ledger: ledgerFor(down, clock) });
    const err = await offline
      .reserveTurn({ turnId: turn(), userId: randomUUID(), estimatePoints: 1 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(ApplicationFailure);
    expect(err).not.toBeInstanceOf(BusinessError);
  } finally {
    await down.$disconnect();
  }
});

it('the workflow-side options list every business code but SYSTEM_ERROR, and import no code', () => {
  expect([...LEDGER_NON_RETRYABLE_TYPES].sort()).toEqual(
    ERROR_CODES.filter((c) => c !== 'SYSTEM_ERROR').sort(),
  );
  for (const options of [LEDGER_ACTIVITY_OPTIONS, LEDGER_SETTLE_ACTIVITY_OPTIONS]) {
    expect(options.retry?.nonRetryableErrorTypes).toEqual([...LEDGER_NON_RETRYABLE_TYPES]);
    expect(options.startToCloseTimeout).toBeDefined();
  }
  const source = fs.readFileSync(
    path.join(__dirname, '../../workflows/support/activity-options.ts'),
    'utf8',
  );
  const imports = source.split('\n').filter((line) => /^\s*import\b/.test(line));
  expect(imports.length).toBeGreaterThan(0);
  expect(imports.every((line) => /^import type /.test(line))).toBe(true);
});
