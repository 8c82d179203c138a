import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';

/** test/integration/sealed-failures.test.ts: an activity and then the workflow fail with `message`. */
const { failWith } = proxyActivities<{ failWith(message: string): Promise<void> }>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 1 },
});

export async function failTwice(message: string): Promise<void> {
  try {
    await failWith(message);
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
  }
  throw ApplicationFailure.nonRetryable(`workflow: ${message}`, 'TEST_FAILURE');
}
