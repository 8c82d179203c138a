import {
  ScheduleAlreadyRunning,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleOptions,
} from '@temporalio/client';
import type { Env } from '../config/env';
import { TaskQueues, taskQueue } from '../config/task-queues';
import type { Logger } from '../lib/logger';
import type { retentionPurge } from '../workflows/retention-purge';

/** Fails to compile if the workflow function is renamed. */
type RetentionPurgeName = keyof { retentionPurge: typeof retentionPurge };

/**
 * Temporal Schedules the system needs, created idempotently at API start-up (api/server.ts):
 * create; if the schedule exists already (another replica, an earlier start), update it to the
 * wanted spec and action, so a changed TIME_ZONE or task queue takes effect on the next deploy.
 * Nothing here ever fails start-up because a schedule exists.
 *
 *   retention-purge   daily 03:00 in TIME_ZONE   retentionPurge on the billing queue
 *
 * IDs carry TASK_QUEUE_PREFIX (empty in production) so parallel test runs sharing a namespace
 * keep their own schedules.
 */

export const RETENTION_SCHEDULE_ID = 'retention-purge';

type ScheduleEnv = Pick<Env, 'TASK_QUEUE_PREFIX' | 'TIME_ZONE'>;

export function retentionScheduleId(env: Pick<Env, 'TASK_QUEUE_PREFIX'>): string {
  return `${env.TASK_QUEUE_PREFIX}${RETENTION_SCHEDULE_ID}`;
}

export function retentionScheduleOptions(env: ScheduleEnv): ScheduleOptions {
  const scheduleId = retentionScheduleId(env);
  return {
    scheduleId,
    spec: { calendars: [{ hour: 3, minute: 0 }], timezone: env.TIME_ZONE },
    action: {
      type: 'startWorkflow',
      workflowType: 'retentionPurge' satisfies RetentionPurgeName,
      // Temporal appends the scheduled time to this ID for each run.
      workflowId: scheduleId,
      taskQueue: taskQueue(env.TASK_QUEUE_PREFIX, TaskQueues.billing),
      args: [{}],
      workflowExecutionTimeout: '6 hours',
    },
    policies: {
      // One purge at a time; a day missed while Temporal was down runs once when it is back.
      overlap: ScheduleOverlapPolicy.SKIP,
      catchupWindow: '1 day',
    },
  };
}

export type EnsureResult = 'created' | 'updated';

/** Creates the schedule, or updates the existing one to these options. */
export async function ensureSchedule(
  client: Client,
  options: ScheduleOptions,
): Promise<EnsureResult> {
  try {
    await client.schedule.create(options);
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await client.schedule.getHandle(options.scheduleId).update((previous) => ({
    ...previous,
    spec: options.spec,
    action: options.action,
    policies: { ...previous.policies, ...options.policies },
  }));
  return 'updated';
}

/** Every schedule of the system; logs what it did. */
export async function ensureSchedules(
  client: Client,
  env: ScheduleEnv,
  logger?: Logger,
): Promise<Record<string, EnsureResult>> {
  const results: Record<string, EnsureResult> = {};
  for (const options of [retentionScheduleOptions(env)]) {
    results[options.scheduleId] = await ensureSchedule(client, options);
  }
  logger?.info({ schedules: results }, 'schedules ensured');
  return results;
}

/**
 * ensureSchedules, retried in the background until it succeeds (Temporal briefly unavailable
 * must not stop the API from serving). Resolves after the first attempt.
 */
export async function ensureSchedulesInBackground(
  client: Client,
  env: ScheduleEnv,
  logger: Logger,
  retryMs = 60_000,
): Promise<void> {
  const attempt = async (): Promise<boolean> => {
    try {
      await ensureSchedules(client, env, logger);
      return true;
    } catch (err) {
      logger.error(
        { err: { name: (err as Error).name, message: (err as Error).message } },
        `schedules not ensured; retrying in ${Math.round(retryMs / 1000)} s`,
      );
      return false;
    }
  };
  if (await attempt()) return;
  const timer = setInterval(() => {
    void attempt().then((ok) => ok && clearInterval(timer));
  }, retryMs);
  timer.unref();
}
