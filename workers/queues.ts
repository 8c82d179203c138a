import type { WorkerOptions } from '@temporalio/worker';
import { TaskQueues, type TaskQueueName } from '../config/task-queues';
import { createSelfCheckActivities } from '../activities/self-check';
import type { WorkerDeps } from './deps';
// chat queue
import { createChatActivities } from '../activities/chat';
import { createImageQuestionActivities } from '../activities/image-question';
import { createChatVoiceActivities } from '../activities/chat-voice';
import { createFollowActivities } from '../activities/follow';
import { createLineEventActivities } from '../activities/line-events';
import { createLineGroupActivities } from '../activities/line-groups';
import { createLineNativeActivities } from '../activities/line-native';
import { createLedgerActivities } from '../activities/ledger';
// billing queue
import { createBillingActivities } from '../activities/billing';
// every queue: replies and pushes
import {
  createLineMessagingActivities,
  type LineMessagingActivities,
} from '../activities/line-messaging';
// stamp queue
import { createStampIntakeActivities } from '../activities/stamp-intake';
import { createStampJobActivities } from '../activities/stamp-job';
// billing queue: admin point requests and the retention purge
import { createAdminActivities } from '../activities/admin';
import { createRetentionActivities } from '../activities/retention';
import { createStampObjects } from '../services/stamp-objects';

/**
 * What each task queue serves. Every queue shares the workflow bundle; activities are split
 * so that each queue's workers can be scaled (and given resources) on their own.
 */
export function activitiesFor(queue: TaskQueueName, deps: WorkerDeps): object {
  const shared = createSelfCheckActivities({
    db: deps.db,
    s3: deps.s3,
    bucket: deps.config.env.S3_BUCKET,
  });
  switch (queue) {
    case TaskQueues.chat:
      return { ...shared, ...chatActivities(deps) };
    case TaskQueues.stamp:
      return { ...shared, ...stampActivities(deps) };
    case TaskQueues.billing:
      return { ...shared, ...billingActivities(deps) };
  }
}

/**
 * Capacity settings per queue. A chat turn runs as local activities inside its workflow task,
 * so the task stays open for the whole turn (model call included): a turn needs a workflow task
 * slot and a local-activity slot for as long as it lasts, mostly waiting on the model.
 *
 * The number of slots is the chat worker's admission control: beyond it, turns wait in
 * Temporal's task queue, where waiting costs nothing and times out nothing. Too many (200 on 2
 * cores) and a saturated worker starts more turns than it can finish inside the 10 s workflow
 * task timeout: they time out, are replayed, and throughput collapses (bench/README.md). Too few
 * and turns waiting on a slow model leave the CPU idle. CHAT_TURNS_PER_WORKER (16 per core by
 * default) or, on a machine of its own, the SDK's resource-based tuner (CHAT_ADMISSION=cpu).
 */
export function workerOptionsFor(queue: TaskQueueName, deps: WorkerDeps): Partial<WorkerOptions> {
  if (queue !== TaskQueues.chat) return {};
  const { CHAT_TURNS_PER_WORKER: turns, CHAT_ADMISSION, CHAT_TARGET_CPU } = deps.config.env;
  if (CHAT_ADMISSION === 'fixed')
    return {
      maxConcurrentWorkflowTaskExecutions: turns,
      // Two at once per turn: the loading animation goes out alongside the model call.
      maxConcurrentLocalActivityExecutions: turns * 2,
    };
  return {
    tuner: {
      // Memory is not what limits a chat worker; the bound keeps the tuner from opening slots
      // on a machine that is about to swap.
      tunerOptions: { targetCpuUsage: CHAT_TARGET_CPU, targetMemoryUsage: 0.9 },
      workflowTaskSlotOptions: {
        minimumSlots: Math.min(turns, 4),
        maximumSlots: turns,
        rampThrottle: '10 milliseconds',
      },
      localActivityTaskSlotOptions: {
        minimumSlots: Math.min(turns, 4),
        maximumSlots: turns * 2,
        rampThrottle: '10 milliseconds',
      },
      activityTaskSlotOptions: {
        minimumSlots: 2,
        maximumSlots: turns,
        rampThrottle: '50 milliseconds',
      },
    },
  };
}

/** Billing queue: the activities of the grant workflow (workflows/stripe-event.ts). */
function billingActivities(deps: WorkerDeps): object {
  const { config, db, ledger, stripe, clock, logger, metrics } = deps;
  const { catalog } = config;
  return {
    ...createBillingActivities({ config, db, ledger, stripe, clock, logger, metrics }),
    ...lineMessagingActivities(deps),
    // workflows/admin-adjust-points.ts and workflows/retention-purge.ts
    ...createAdminActivities({ db, ledger, clock, logger, metrics }),
    ...createRetentionActivities({
      db,
      ledger,
      retention: catalog.retention,
      timeZone: config.env.TIME_ZONE,
      clock,
      logger,
      metrics,
      objects: createStampObjects(deps.s3, config.env.S3_BUCKET),
    }),
  };
}

/**
 * Chat queue: the user session, chat turns and follow events. The process's one ledger is
 * shared by the chat activities (atomic settlement) and the ledger activities.
 */
function chatActivities(deps: WorkerDeps): object {
  const { config, db, ledger, checkout, clock, logger, metrics } = deps;
  return {
    ...createLedgerActivities({
      ledger,
      onBusinessError: (code) => metrics.businessErrors.inc({ code }),
    }),
    ...createChatActivities({
      config,
      db,
      ledger,
      llm: deps.llm,
      clock,
      logger,
      metrics,
      checkout,
      line: lineMessagingActivities(deps),
      // A question about a photo reads the waiting stamp photo (activities/chat-vision.ts).
      photos: createStampObjects(deps.s3, config.env.S3_BUCKET),
    }),
    // The free prompt after 「この画像について質問」 (workflows/session-image-question.ts).
    ...createImageQuestionActivities({ line: lineMessagingActivities(deps), logger }),
    // A voice turn's transcription step (workflows/chat-turn-steps.ts, patch chat-turn-voice).
    ...createChatVoiceActivities({
      catalog: config.catalog,
      blob: deps.line.blob,
      llm: deps.llm,
      logger,
    }),
    ...createFollowActivities({ config, db, ledger, clock, logger, profiles: deps.line.client }),
    ...createLineEventActivities({ db }),
    ...lineMessagingActivities(deps),
    ...createLineNativeActivities({
      catalog: config.catalog,
      line: lineMessagingActivities(deps),
      logger,
    }),
    // A group's or room's join, leave and free answers (workflows/line-group-session.ts).
    ...createLineGroupActivities({
      catalog: config.catalog,
      db,
      line: lineMessagingActivities(deps),
      logger,
    }),
  };
}

/**
 * Stamp queue: the stamp job (workflows/stamp-job.ts) and its LINE intake workflows, which
 * reply and push through the LINE messaging activities registered here too.
 */
function stampActivities(deps: WorkerDeps): object {
  const { config, db, checkout, clock, logger, metrics } = deps;
  const stamp = {
    config,
    db,
    s3: deps.s3,
    bucket: config.env.S3_BUCKET,
    blob: deps.line.blob,
    clock,
    logger,
    metrics,
    checkout,
  };
  return {
    ...createStampIntakeActivities(stamp),
    ...createStampJobActivities(stamp),
    ...lineMessagingActivities(deps),
  };
}

const lineMessagingOf = new WeakMap<WorkerDeps, LineMessagingActivities>();

/**
 * The LINE messaging activities (replies and pushes), which every queue registers: built once
 * per worker process (per deps), so a process serving all queues shares one set.
 */
function lineMessagingActivities(deps: WorkerDeps): LineMessagingActivities {
  let activities = lineMessagingOf.get(deps);
  if (!activities) {
    activities = createLineMessagingActivities({
      ...deps.line,
      db: deps.db,
      clock: deps.clock,
      replyTokenMaxAgeSeconds: deps.config.catalog.chat.replyTokenMaxAgeSeconds,
      logger: deps.logger,
      metrics: deps.metrics,
    });
    lineMessagingOf.set(deps, activities);
  }
  return activities;
}
