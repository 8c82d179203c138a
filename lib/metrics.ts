import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

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
