import { availableParallelism } from 'node:os';
import { ConfigError, loadConfig } from '../../config';
import { TaskQueues } from '../../config/task-queues';
import { workerOptionsFor } from '../../workers/queues';
import type { WorkerDeps } from '../../workers/deps';
import { TEST_SECRETS } from '../support/config-secrets';

const secrets = TEST_SECRETS;

/** Only the configuration is read when choosing a worker's slots. */
function depsWith(env: Record<string, string> = {}): WorkerDeps {
  return { config: loadConfig({ ...secrets, ...env }) } as unknown as WorkerDeps;
}

describe('chat worker admission control', () => {
  it('gives a chat worker 16 turns per CPU core by default, as fixed slots', () => {
    const options = workerOptionsFor(TaskQueues.chat, depsWith());
    const turns = 16 * availableParallelism();
    expect(options).toEqual({
      maxConcurrentWorkflowTaskExecutions: turns,
      maxConcurrentLocalActivityExecutions: turns * 2,
    });
    expect(options.tuner).toBeUndefined();
  });

  it('takes the number of turns from CHAT_TURNS_PER_WORKER', () => {
    const options = workerOptionsFor(TaskQueues.chat, depsWith({ CHAT_TURNS_PER_WORKER: '24' }));
    expect(options.maxConcurrentWorkflowTaskExecutions).toBe(24);
    expect(options.maxConcurrentLocalActivityExecutions).toBe(48);
  });

  it('uses the resource-based tuner, bounded by the same number, with CHAT_ADMISSION=cpu', () => {
    const options = workerOptionsFor(
      TaskQueues.chat,
      depsWith({ CHAT_ADMISSION: 'cpu', CHAT_TURNS_PER_WORKER: '40', CHAT_TARGET_CPU: '0.7' }),
    );
    // The SDK refuses a tuner beside the max-concurrent settings.
    expect(options.maxConcurrentWorkflowTaskExecutions).toBeUndefined();
    expect(options.tuner).toMatchObject({
      tunerOptions: { targetCpuUsage: 0.7 },
      workflowTaskSlotOptions: { maximumSlots: 40 },
      localActivityTaskSlotOptions: { maximumSlots: 80 },
    });
  });

  it('leaves the other queues on the SDK defaults', () => {
    expect(workerOptionsFor(TaskQueues.stamp, depsWith())).toEqual({});
    expect(workerOptionsFor(TaskQueues.billing, depsWith())).toEqual({});
  });

  it('refuses an admission mode or CPU target it does not know', () => {
    expect(() => loadConfig({ ...secrets, CHAT_ADMISSION: 'adaptive' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...secrets, CHAT_TARGET_CPU: '1.5' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...secrets, CHAT_TURNS_PER_WORKER: '0' })).toThrow(ConfigError);
  });
});
