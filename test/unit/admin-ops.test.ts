import { randomUUID } from 'node:crypto';
import { LINE_USER_ID } from '../../domain/line-user-id';
import { retentionPlan } from '../../activities/retention';
import { secretEquals } from '../../api/admin-auth';
import { HttpError } from '../../api/errors';
import { PlanBody, PointsBody, PrivilegedBody, parseBody } from '../../api/routes/admin';
import { usagePage } from '../../api/routes/admin-usage-page';
import { listenHost, sdkTelemetry } from '../../ops/metrics-server';
import { retentionScheduleId, retentionScheduleOptions } from '../../ops/schedules';
import { isDay, shiftDay } from '../../ops/usage-report';

function badRequest(fn: () => unknown): HttpError {
  try {
    fn();
  } catch (err) {
    if (err instanceof HttpError) return err;
    throw err;
  }
  throw new Error('expected an HttpError');
}

describe('admin auth', () => {
  it('compares secrets of any length in constant time (hash first)', () => {
    expect(secretEquals('s3cret-token-1234', 's3cret-token-1234')).toBe(true);
    expect(secretEquals('s3cret-token-1235', 's3cret-token-1234')).toBe(false);
    expect(secretEquals('s3cret', 's3cret-token-1234')).toBe(false);
    expect(secretEquals('', 's3cret-token-1234')).toBe(false);
  });
});

describe('admin request bodies', () => {
  const ok = { delta: 10, reason: 'r', requestId: randomUUID() };

  it('accepts a valid points request; trims the reason', () => {
    expect(parseBody(PointsBody, { ...ok, reason: '  goodwill  ', expiresInDays: 7 })).toEqual({
      ...ok,
      reason: 'goodwill',
      expiresInDays: 7,
    });
    expect(parseBody(PointsBody, { ...ok, delta: -5 })).toEqual({ ...ok, delta: -5 });
  });

  it.each([
    ['no delta', { ...ok, delta: undefined }, 'delta', 'delta: is required'],
    ['delta null', { ...ok, delta: null }, 'delta', 'delta: must be a number'],
    ['delta 0', { ...ok, delta: 0 }, 'delta', 'delta: must not be 0'],
    ['delta 2.5', { ...ok, delta: 2.5 }, 'delta', 'delta: must be an integer'],
    ['empty reason', { ...ok, reason: '' }, 'reason', 'reason: must not be empty'],
    ['long reason', { ...ok, reason: 'x'.repeat(201) }, 'reason', 'reason: must be at most 200'],
    ['bad requestId', { ...ok, requestId: 'x' }, 'requestId', 'requestId: must be a UUID'],
    [
      'expiry on a charge',
      { ...ok, delta: -1, expiresInDays: 3 },
      'expiresInDays',
      'expiresInDays: only applies to a positive delta',
    ],
    ['unknown key', { ...ok, extra: 1 }, 'extra', 'Unrecognized key'],
  ])('refuses %s, naming %s', (_what, body, field, message) => {
    const err = badRequest(() => parseBody(PointsBody, body));
    expect(err.status).toBe(400);
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.details?.field).toBe(field);
    expect(err.message).toContain(message);
  });

  it('refuses a body that is not a JSON object', () => {
    for (const body of [undefined, null, 'text', [1]])
      expect(badRequest(() => parseBody(PointsBody, body)).message).toMatch(/JSON object/);
  });

  it('plan and privileged bodies', () => {
    expect(
      parseBody(PlanBody, { planId: 'basic', periodEnd: '2030-01-01T00:00:00+09:00' }),
    ).toEqual({
      planId: 'basic',
      periodEnd: '2030-01-01T00:00:00+09:00',
    });
    expect(parseBody(PlanBody, { planId: 'basic', periodEnd: null }).periodEnd).toBeNull();
    expect(
      badRequest(() => parseBody(PlanBody, { planId: 'basic', periodEnd: '2030-01-01' })).details
        ?.field,
    ).toBe('periodEnd');
    const lineUserId = `U${'a'.repeat(32)}`;
    expect(LINE_USER_ID.test(lineUserId)).toBe(true);
    expect(parseBody(PrivilegedBody, { lineUserId })).toEqual({ lineUserId });
    expect(
      badRequest(() => parseBody(PrivilegedBody, { lineUserId: `U${'A'.repeat(32)}` })).details
        ?.field,
    ).toBe('lineUserId');
  });
});

describe('retention plan', () => {
  const retention = {
    chatArchiveDays: 365,
    usageLogDays: 400,
    deletedUserDays: 30,
    processedEventDays: 30,
    lineInboxHours: 24,
  };

  it('counts each period back from now', () => {
    const plan = retentionPlan(new Date('2031-03-15T12:00:00Z'), retention, 'Asia/Tokyo');
    expect(plan).toEqual({
      now: '2031-03-15T12:00:00.000Z',
      timeZone: 'Asia/Tokyo',
      cutoffs: {
        chat_archives: '2030-03-15T12:00:00.000Z',
        usage_records: '2030-02-08T12:00:00.000Z',
        openai_usages: '2030-02-08T12:00:00.000Z',
        ai_chat_usage_logs: '2030-02-08T12:00:00.000Z',
        deleted_users: '2031-02-13T12:00:00.000Z',
        processed_events: '2031-02-13T12:00:00.000Z',
        line_replies: '2031-02-13T12:00:00.000Z',
        line_inbox_events: '2031-03-14T12:00:00.000Z',
      },
      usageLogDayBefore: '2030-02-08',
      staleHoldsBefore: '2031-03-15T11:00:00.000Z',
    });
  });

  it('usage-log days are local days of the configured zone', () => {
    // 16:00 UTC is already the next day in Tokyo.
    const now = new Date('2031-03-15T16:00:00Z');
    expect(retentionPlan(now, retention, 'Asia/Tokyo').usageLogDayBefore).toBe('2030-02-09');
    expect(retentionPlan(now, retention, 'UTC').usageLogDayBefore).toBe('2030-02-08');
  });
});

describe('retention schedule', () => {
  it('daily at 03:00 in TIME_ZONE, retentionPurge on the (prefixed) billing queue', () => {
    const env = { TASK_QUEUE_PREFIX: 't-x-', TIME_ZONE: 'Asia/Tokyo' };
    expect(retentionScheduleId({ TASK_QUEUE_PREFIX: '' })).toBe('retention-purge');
    const options = retentionScheduleOptions(env);
    expect(options.scheduleId).toBe('t-x-retention-purge');
    expect(options.spec).toEqual({ calendars: [{ hour: 3, minute: 0 }], timezone: 'Asia/Tokyo' });
    expect(options.action).toMatchObject({
      type: 'startWorkflow',
      workflowType: 'retentionPurge',
      taskQueue: 't-x-billing',
      args: [{}],
    });
  });
});

describe('usage report days', () => {
  it('shifts and validates calendar days', () => {
    expect(shiftDay('2024-03-01', -1)).toBe('2024-02-29');
    expect(shiftDay('2024-12-31', 1)).toBe('2025-01-01');
    expect(isDay('2024-02-29')).toBe(true);
    expect(isDay('2023-02-29')).toBe(false);
    expect(isDay('2024-2-1')).toBe(false);
  });
});

describe('usage page', () => {
  it('is self-contained: only its own nonce-tagged script and style, no external resources', () => {
    const html = usagePage('n0nce');
    expect(html).toContain('<script nonce="n0nce">');
    expect(html).toContain('<style nonce="n0nce">');
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/);
    expect(html).not.toMatch(/innerHTML/);
  });
});

describe('worker SDK metrics', () => {
  it('installs the Prometheus exporter only when a port is set', () => {
    expect(sdkTelemetry(undefined)).toEqual({});
    expect(sdkTelemetry(9465)).toEqual({
      telemetryOptions: {
        metrics: { prometheus: { bindAddress: '127.0.0.1:9465', useSecondsForDurations: true } },
      },
    });
  });

  it('listens on loopback in development unless a host is configured', () => {
    expect(listenHost({ NODE_ENV: 'development' }, undefined)).toBe('127.0.0.1');
    expect(listenHost({ NODE_ENV: 'test' }, undefined)).toBe('127.0.0.1');
    expect(listenHost({ NODE_ENV: 'production' }, undefined)).toBe('0.0.0.0');
    expect(listenHost({ NODE_ENV: 'development' }, '0.0.0.0')).toBe('0.0.0.0');
  });
});
