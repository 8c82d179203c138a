import { condition, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';
import type { SelfCheckActivities } from '../activities/self-check';

const { recordSelfCheck, storeSelfCheckObject } = proxyActivities<SelfCheckActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds', maximumAttempts: 10 },
});

/** Lets an operator (or a test) hold the check between its two effects. */
export const proceedSignal = defineSignal('proceed');

export interface StackSelfCheckInput {
  checkId: string;
  pauseBetweenEffects?: boolean;
}

export interface StackSelfCheckResult {
  writes: number;
  objectKey: string;
}

/** Proves the stack end to end: a row through Prisma, then an object in S3. */
export async function stackSelfCheck(input: StackSelfCheckInput): Promise<StackSelfCheckResult> {
  let proceed = !input.pauseBetweenEffects;
  setHandler(proceedSignal, () => {
    proceed = true;
  });

  const { writes } = await recordSelfCheck(input.checkId);
  await condition(() => proceed);
  const { key } = await storeSelfCheckObject(input.checkId);
  return { writes, objectKey: key };
}
