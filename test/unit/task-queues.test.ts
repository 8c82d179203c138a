import { siblingTaskQueue } from '../../workflows/support/task-queues';

describe('siblingTaskQueue', () => {
  it('swaps the queue name and keeps the prefix', () => {
    expect(siblingTaskQueue('chat', 'stamp')).toBe('stamp');
    expect(siblingTaskQueue('t-abc-12345678-chat', 'stamp')).toBe('t-abc-12345678-stamp');
    expect(siblingTaskQueue('t-x-stamp', 'stamp')).toBe('t-x-stamp');
    expect(siblingTaskQueue('t-chat-billing', 'stamp')).toBe('t-chat-stamp');
  });

  it('gives the bare queue name for a queue it does not know (a replay worker)', () => {
    expect(siblingTaskQueue('replay-test-0', 'stamp')).toBe('stamp');
  });
});
