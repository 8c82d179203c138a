import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One registry per process. The API and each worker process expose their own; Prometheus
 * scrapes them all (see docker-compose.yml and README). Which metric lives in which process,
 * and the database-derived business gauges the API adds: ops/business-metrics.ts.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequests: new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    }),
    chatTurns: new Counter({
      name: 'chat_turns_total',
      help: 'Chat turns by outcome',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    // A turn that could not complete (apologised, hold and daily slot released): by the step
    // that gave up and the failure's type (workflows/chat-turn-steps.ts, activities/chat.ts).
    chatTurnFailures: new Counter({
      name: 'chat_turn_failures_total',
      help: 'Chat turns ended as failed, by step and failure type',
      labelNames: ['step', 'reason'] as const,
      registers: [registry],
    }),
    // Settled turns whose answer could not be delivered: the charge was put back.
    chatTurnsRefunded: new Counter({
      name: 'chat_turns_refunded_total',
      help: 'Chat turns charged whose answer could not be delivered; the charge was put back',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    // Messages beyond a user's waiting cap: answered "please wait", not charged nor counted.
    chatEventsRefused: new Counter({
      name: 'chat_events_refused_total',
      help: 'LINE events answered with the busy reply instead of a turn',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    // Answers delivered to LINE (activities/line-messaging.ts deliverMessages): replies are
    // free, pushes count against the channel's monthly message quota.
    lineDeliveries: new Counter({
      name: 'line_deliveries_total',
      help: 'LINE deliveries by how they went out: reply token, push, or reply then push',
      labelNames: ['via'] as const,
      registers: [registry],
    }),
    // The tap flow (workflows/chat-turn-collect.ts): a slow answer's notice went out on the
    // message's token; the answer then went on the tap's token (`tapped`, free), was pushed after
    // nobody tapped (`pushed_no_tap`), or pushed because the user wrote again meanwhile.
    chatAnswerCollect: new Counter({
      name: 'chat_answer_collect_total',
      help: 'Slow chat answers announced by a notice: collected by a tap, or pushed without one',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    pointsCharged: new Counter({
      name: 'points_charged_total',
      help: 'Points charged for LLM calls',
      labelNames: ['model'] as const,
      registers: [registry],
    }),
    llmLatency: new Histogram({
      name: 'llm_call_duration_seconds',
      help: 'LLM call latency by model',
      labelNames: ['model', 'outcome'] as const,
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers: [registry],
    }),
    stampJobs: new Counter({
      name: 'stamp_jobs_total',
      help: 'Stamp jobs by outcome',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    grants: new Counter({
      name: 'grants_total',
      help: 'Billing grants by kind',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    paymentMismatches: new Counter({
      name: 'payment_mismatches_total',
      help: 'Stripe payments that granted nothing: amount or currency not the catalog price',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    businessErrors: new Counter({
      name: 'business_errors_total',
      help: 'Business errors by code',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    workflowStarts: new Counter({
      name: 'workflow_starts_total',
      help: 'Workflows started or signalled from the API, by kind and result',
      labelNames: ['kind', 'result'] as const,
      registers: [registry],
    }),
    // --- LINE inbox relay (api/inbox-relay.ts) ---
    inboxRelayed: new Counter({
      name: 'line_inbox_events_total',
      help: 'LINE inbox rows handed to sessions (relayed), failed attempts, rows given up',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    inboxRelayLag: new Histogram({
      name: 'line_inbox_relay_lag_seconds',
      help: 'From the webhook writing a LINE event to the relay handing it to the session',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 15, 60, 300],
      registers: [registry],
    }),
    inboxBacklog: new Gauge({
      name: 'line_inbox_backlog',
      help: 'LINE inbox rows waiting to be relayed, by session task queue',
      labelNames: ['task_queue'] as const,
      registers: [registry],
    }),
    // --- admin and retention (activities/admin.ts, activities/retention.ts) ---
    adminActions: new Counter({
      name: 'admin_actions_total',
      help: 'Operator changes applied through the admin API, by action',
      labelNames: ['action'] as const,
      registers: [registry],
    }),
    retentionPurged: new Counter({
      name: 'retention_purged_rows_total',
      help: 'Rows deleted by the retention purge, by target',
      labelNames: ['target'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
