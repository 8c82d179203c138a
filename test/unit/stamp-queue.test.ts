import {
  AWAITING_MESSAGES,
  canMove,
  cancelByUser,
  complete,
  expire,
  fail,
  failForNoTicket,
  isPastDeadline,
  photoDeadline,
  queue,
  startProcessing,
  supersede,
  ticketStep,
  type StampQueueStatus,
} from '../../domain/stamp-queue';

describe('stamp queue transitions', () => {
  it('names each transition with its failure reason', () => {
    expect(supersede()).toEqual({ status: 'cancelled', failureReason: 'SUPERSEDED' });
    expect(cancelByUser()).toEqual({ status: 'cancelled', failureReason: 'CANCELLED_BY_USER' });
    expect(expire()).toEqual({ status: 'expired', failureReason: 'EXPIRED' });
    expect(queue()).toEqual({ status: 'queued' });
    expect(startProcessing()).toEqual({ status: 'processing' });
    expect(failForNoTicket()).toEqual({ status: 'failed', failureReason: 'NO_TICKET' });
    expect(complete()).toEqual({ status: 'completed', failureReason: null });
    expect(fail('x'.repeat(600)).failureReason).toHaveLength(500);
  });

  it('every named transition is an allowed move from where it happens', () => {
    const from: Array<[StampQueueStatus, StampQueueStatus]> = [
      [AWAITING_MESSAGES, supersede().status],
      [AWAITING_MESSAGES, cancelByUser().status],
      [AWAITING_MESSAGES, expire().status],
      [AWAITING_MESSAGES, queue().status],
      ['queued', startProcessing().status],
      ['queued', failForNoTicket().status],
      ['processing', complete().status],
      ['processing', fail('boom').status],
    ];
    for (const [a, b] of from) expect(canMove(a, b)).toBe(true);
    expect(canMove('completed', 'failed')).toBe(false);
    expect(canMove('expired', 'queued')).toBe(false);
    expect(canMove('cancelled', 'awaiting_messages')).toBe(false);
  });

  it('a photo expires at its deadline, not before', () => {
    const now = new Date('2025-01-01T00:00:00Z');
    const deadline = photoDeadline(now, 30);
    expect(deadline.toISOString()).toBe('2025-01-01T00:30:00.000Z');
    expect(isPastDeadline(deadline, new Date(deadline.getTime() - 1))).toBe(false);
    expect(isPastDeadline(deadline, deadline)).toBe(true);
    expect(isPastDeadline(null, now)).toBe(false);
  });
});

describe('ticketStep', () => {
  const row = {
    status: 'queued' as StampQueueStatus,
    failureReason: null,
    consumption: null,
    messages: 3,
  };

  it('a queued job with messages and no consumption takes a ticket', () => {
    expect(ticketStep(row)).toEqual({ step: 'take' });
  });

  it('a live consumption is reused (a retry); a refunded one is not', () => {
    expect(ticketStep({ ...row, status: 'processing', consumption: { deletedAt: null } })).toEqual({
      step: 'reuse',
    });
    expect(ticketStep({ ...row, consumption: { deletedAt: new Date() } })).toEqual({
      step: 'not-runnable',
    });
  });

  it('a job that failed for want of a ticket stays so', () => {
    expect(ticketStep({ ...row, status: 'failed', failureReason: 'NO_TICKET' })).toEqual({
      step: 'no-ticket',
    });
  });

  it('completed, not queued, or without messages: not runnable', () => {
    const consumed = { deletedAt: null };
    expect(ticketStep({ ...row, status: 'completed', consumption: consumed })).toEqual({
      step: 'not-runnable',
    });
    expect(ticketStep({ ...row, status: 'awaiting_messages' })).toEqual({ step: 'not-runnable' });
    expect(ticketStep({ ...row, messages: 0 })).toEqual({ step: 'not-runnable' });
  });
});
