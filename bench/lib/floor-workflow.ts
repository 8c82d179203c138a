import { condition, defineSignal, proxyLocalActivities, setHandler } from '@temporalio/workflow';

/**
 * The shape of the product's session workflow with the work taken out: it waits for a signal,
 * then runs `steps` local activities one after another, and waits again. bench/temporal-floor.ts
 * measures what this costs (the least any turn through Temporal can cost on this machine).
 */

export const turnSignal = defineSignal<[{ turnId: string; steps: number }]>('turn');

const { noopStep } = proxyLocalActivities<{
  noopStep(turnId: string, step: number): Promise<void>;
}>({ startToCloseTimeout: '10 seconds' });

export async function floorSession(): Promise<void> {
  const pending: Array<{ turnId: string; steps: number }> = [];
  setHandler(turnSignal, (turn) => {
    pending.push(turn);
  });
  for (;;) {
    if (!(await condition(() => pending.length > 0, '10 minutes'))) return;
    const turn = pending.shift() as { turnId: string; steps: number };
    for (let step = 0; step < turn.steps; step++) await noopStep(turn.turnId, step);
  }
}
