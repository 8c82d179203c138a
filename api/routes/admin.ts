import {
  WorkflowFailedError,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  type WorkflowHandle,
} from '@temporalio/client';
import {
  ApplicationFailure,
  WorkflowExecutionAlreadyStartedError,
  type WorkflowResultType,
} from '@temporalio/common';
import express, { Router, type Request } from 'express';
import { z } from 'zod';
import { TaskQueues, taskQueue, workSearchAttributes } from '../../config/task-queues';
import { HTTP_STATUS, isErrorCode } from '../../domain/errors';
import { LINE_USER_ID } from '../../domain/line-user-id';
import { temporalWorkflowUrl } from '../../lib/temporal-ui';
import { describeUser } from '../../services/admin-user-view';
import { toUsageResponse } from '../usage-response';
import { applicationFailureOf } from '../../workflows/support/failures';
import { addPrivilegedUser, removePrivilegedUser, setUserPlan } from '../../services/admin-users';
import {
  adminPointsFingerprint,
  adminPointsKey,
  claimIdempotency,
  IdempotencyConflict,
} from '../../services/idempotency';
import {
  adminAdjustPoints,
  adminPointsWorkflowId,
  type AdminAdjustPointsInput,
} from '../../workflows/admin-adjust-points';
import { adminPlanNotice, adminPlanNoticeWorkflowId } from '../../workflows/admin-plan-notice';
import { adminAuth, requireAdminActor } from '../admin-auth';
import type { ApiDeps } from '../deps';
import { HttpError } from '../errors';

/**
 * The admin API, behind ADMIN_TOKEN (`Authorization: Bearer <token>`; api/admin-auth.ts). Every
 * change needs `X-Admin-Actor: <operator>` and writes admin_audit_logs in the same transaction
 * (points: inside the ledger's, keyed by the request ID; activities/admin.ts). JSON in and
 * out; bodies are validated (400 naming the field); any error changes nothing.
 *
 *   GET    /admin/users/:lineUserId          plan, balance and lots, today's usage, privilege,
 *                                            tickets left, last 20 chat turns (Temporal UI links)
 *   POST   /admin/users/:lineUserId/points   { delta, reason, expiresInDays?, requestId, notify? }
 *                                            → workflow adminAdjustPoints, ID
 *                                            admin-points-<requestId>; tells the user on LINE
 *                                            (catalog adminNotices) unless notify is false
 *   PUT    /admin/users/:lineUserId/plan     { planId, periodEnd?, reason?, notify? }; a change
 *                                            is told on LINE by workflow adminPlanNotice, ID
 *                                            admin-plan-notice-<audit row ID>
 *
 * The operator console's search, timeline and reports: api/routes/admin-console.ts.
 *   POST   /admin/privileged-users           { lineUserId, note? }
 *   DELETE /admin/privileged-users/:lineUserId
 */

export interface AdminRouterOptions {
  /** How long POST .../points waits for its workflow before answering 202. Default 10 s. */
  pointsWaitMs?: number;
}

const MAX_POINTS = 100_000_000;
const MAX_EXPIRY_DAYS = 3650;

const reasonField = z
  .string({ error: 'must be a string' })
  .trim()
  .min(1, 'must not be empty')
  .max(200, 'must be at most 200 characters');

export const PointsBody = z
  .strictObject({
    delta: z
      .number({ error: 'must be a number' })
      .int('must be an integer')
      .min(-MAX_POINTS, `must be at least -${MAX_POINTS}`)
      .max(MAX_POINTS, `must be at most ${MAX_POINTS}`)
      .refine((n) => n !== 0, 'must not be 0'),
    reason: reasonField,
    expiresInDays: z
      .number({ error: 'must be a number' })
      .int('must be an integer')
      .min(1, 'must be at least 1')
      .max(MAX_EXPIRY_DAYS, `must be at most ${MAX_EXPIRY_DAYS}`)
      .optional(),
    requestId: z.uuid('must be a UUID (the idempotency key of this request)'),
    /** Tell the user on LINE (default true). Not part of the request's idempotency. */
    notify: z.boolean({ error: 'must be true or false' }).optional(),
  })
  .superRefine((body, ctx) => {
    if (body.expiresInDays !== undefined && body.delta < 0)
      ctx.addIssue({
        code: 'custom',
        path: ['expiresInDays'],
        message: 'only applies to a positive delta',
      });
  });

export const PlanBody = z.strictObject({
  planId: z.string({ error: 'must be a string' }).min(1, 'must not be empty'),
  periodEnd: z.iso
    .datetime({
      offset: true,
      error: 'must be an ISO 8601 date-time, e.g. 2027-01-31T00:00:00+09:00',
    })
    .nullable()
    .optional(),
  reason: reasonField.optional(),
  /** Tell the user on LINE (default true). */
  notify: z.boolean({ error: 'must be true or false' }).optional(),
});

export const PrivilegedBody = z.strictObject({
  lineUserId: z
    .string({ error: 'must be a string' })
    .regex(LINE_USER_ID, 'must be a LINE user ID (U followed by 32 hex digits)'),
  note: z
    .string({ error: 'must be a string' })
    .trim()
    .max(200, 'must be at most 200 characters')
    .optional(),
});

/** Parses a JSON body against `schema`, or 400 naming each bad field. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new HttpError(
      400,
      'INVALID_INPUT',
      'body must be a JSON object (Content-Type: application/json)',
    );
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const first = parsed.error.issues[0];
  const field =
    first?.code === 'unrecognized_keys' ? first.keys[0] : first?.path.map(String).join('.');
  const problems = parsed.error.issues.map((issue) => {
    const where = issue.path.map(String).join('.') || '(body)';
    // zod does not report the input: a type error on an absent key means "missing".
    const missing =
      issue.code === 'invalid_type' && valueAt(body, issue.path as PropertyKey[]) === undefined;
    return `${where}: ${missing ? 'is required' : issue.message}`;
  });
  throw new HttpError(400, 'INVALID_INPUT', `invalid request body: ${problems.join('; ')}`, {
    field: field || null,
    problems,
  });
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let at: unknown = value;
  for (const key of path) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<PropertyKey, unknown>)[key];
  }
  return at;
}

function lineUserIdParam(req: Request): string {
  const value = req.params.lineUserId;
  if (typeof value !== 'string' || !LINE_USER_ID.test(value))
    throw new HttpError(
      400,
      'INVALID_INPUT',
      'lineUserId must be a LINE user ID (U followed by 32 hex digits)',
      { field: 'lineUserId' },
    );
  return value;
}

/** The ApplicationFailure a failed workflow ended with (through its activity), if any. */
function failureOf(err: unknown): ApplicationFailure | undefined {
  return applicationFailureOf(err instanceof WorkflowFailedError ? err.cause : err);
}

export function adminRouter(deps: ApiDeps, options: AdminRouterOptions = {}): Router {
  const router = Router();
  const { env, catalog } = deps.config;
  const { db, temporal, metrics, ledger } = deps;
  const auth = adminAuth(env.ADMIN_TOKEN);
  const json = express.json({ limit: '16kb' });
  const workflowUrl = (id: string) =>
    temporalWorkflowUrl(env.TEMPORAL_UI_URL, env.TEMPORAL_NAMESPACE, id);
  const pointsWaitMs = options.pointsWaitMs ?? 10_000;

  /**
   * The plan is already changed and audited: the notice is best effort after it. A failed start
   * is answered (started: false) and logged, and does not undo the change.
   */
  async function startPlanNotice(lineUserId: string, auditId: string, planId: string) {
    const workflowId = adminPlanNoticeWorkflowId(auditId);
    const planName = catalog.plans[planId]?.name ?? planId;
    try {
      await temporal.workflow.start(adminPlanNotice, {
        workflowId,
        taskQueue: taskQueue(env.TASK_QUEUE_PREFIX, TaskQueues.billing),
        args: [
          {
            auditId,
            lineUserId,
            texts: [catalog.adminNotices.planChanged.replaceAll('{plan}', planName)],
          },
        ],
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        typedSearchAttributes: workSearchAttributes(lineUserId, 'grant'),
      });
      return { workflowId, temporalUrl: workflowUrl(workflowId), started: true };
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError)
        return { workflowId, temporalUrl: workflowUrl(workflowId), started: true };
      deps.logger.warn({ auditId, err: String(err) }, 'plan change notice not started');
      return { workflowId, temporalUrl: null, started: false };
    }
  }

  router.get('/admin/users/:lineUserId', auth, async (req, res) => {
    const lineUserId = lineUserIdParam(req);
    const view = await describeUser(
      {
        db,
        ledger,
        catalog,
        temporalUiUrl: env.TEMPORAL_UI_URL,
        namespace: env.TEMPORAL_NAMESPACE,
      },
      lineUserId,
    );
    res
      .set('Cache-Control', 'no-store')
      .json({ ...view, usageToday: toUsageResponse(view.usageToday) });
  });

  router.post(
    '/admin/users/:lineUserId/points',
    auth,
    requireAdminActor,
    json,
    async (req, res) => {
      const lineUserId = lineUserIdParam(req);
      const body = parseBody(PointsBody, req.body);
      const user = await db.user.findUnique({ where: { lineUserId }, select: { id: true } });
      if (!user)
        throw new HttpError(404, 'UNKNOWN_USER', `no user with LINE user ID ${lineUserId}`);

      const requestId = body.requestId.toLowerCase();
      const workflowId = adminPointsWorkflowId(requestId);
      const input: AdminAdjustPointsInput = {
        requestId,
        userId: user.id,
        lineUserId,
        delta: body.delta,
        reason: body.reason,
        expiresInDays: body.expiresInDays ?? null,
        actor: req.adminActor!,
        noticeTemplate:
          body.notify === false
            ? null
            : body.delta > 0
              ? catalog.adminNotices.pointsGranted
              : catalog.adminNotices.pointsTakenBack,
      };
      // The durable record first (services/idempotency.ts): a requestId reused with any other
      // parameter (delta, reason, expiresInDays, user) is a 409 before anything starts, also
      // long after Temporal has forgotten the first workflow.
      try {
        await claimIdempotency(db, {
          key: adminPointsKey(requestId),
          kind: 'admin_adjustment',
          userId: user.id,
          fingerprint: adminPointsFingerprint({
            ...input,
            expiresInDays: input.expiresInDays ?? null,
          }),
        });
      } catch (err) {
        if (!(err instanceof IdempotencyConflict)) throw err;
        throw new HttpError(
          409,
          'REQUEST_ID_REUSED',
          'requestId was already used for another request: send a new requestId',
          { workflowId },
        );
      }
      let handle: WorkflowHandle<typeof adminAdjustPoints>;
      let repeated = false;
      try {
        // A failed request may be retried under its ID; a running one is joined; a completed
        // one is answered from its result (below).
        handle = await temporal.workflow.start(adminAdjustPoints, {
          workflowId,
          taskQueue: taskQueue(env.TASK_QUEUE_PREFIX, TaskQueues.billing),
          args: [input],
          workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
          workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
          typedSearchAttributes: workSearchAttributes(lineUserId, 'grant'),
        });
        metrics.workflowStarts.inc({ kind: 'admin_points', result: 'started' });
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        handle = temporal.workflow.getHandle<typeof adminAdjustPoints>(workflowId);
        repeated = true;
        metrics.workflowStarts.inc({ kind: 'admin_points', result: 'duplicate' });
      }

      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), pointsWaitMs);
      let result: WorkflowResultType<typeof adminAdjustPoints>;
      try {
        result = await temporal.withAbortSignal(abort.signal, () => handle.result());
      } catch (err) {
        if (abort.signal.aborted) {
          res.status(202).json({
            workflowId,
            temporalUrl: workflowUrl(workflowId),
            status: 'running',
          });
          return;
        }
        const failure = failureOf(err);
        const code = failure?.type;
        if (!failure || !isErrorCode(code)) throw err;
        const details = (failure.details?.[0] ?? {}) as { field?: unknown };
        if (details.field === 'sourceRef')
          throw new HttpError(
            409,
            'REQUEST_ID_REUSED',
            'requestId was already used for another request: send a new requestId',
          );
        throw new HttpError(HTTP_STATUS[code], code, failure.message, {
          workflowId,
          ...(typeof details.field === 'string' ? { field: details.field } : {}),
        });
      } finally {
        clearTimeout(timer);
      }
      if (result.userId !== user.id || result.delta !== body.delta || result.reason !== body.reason)
        throw new HttpError(
          409,
          'REQUEST_ID_REUSED',
          'requestId was already used for another request: send a new requestId',
          { workflowId },
        );
      res.status(200).json({
        workflowId,
        temporalUrl: workflowUrl(workflowId),
        status: 'completed',
        repeated,
        ...result,
      });
    },
  );

  router.put('/admin/users/:lineUserId/plan', auth, requireAdminActor, json, async (req, res) => {
    const lineUserId = lineUserIdParam(req);
    const body = parseBody(PlanBody, req.body);
    if (!Object.prototype.hasOwnProperty.call(catalog.plans, body.planId))
      throw new HttpError(
        400,
        'INVALID_INPUT',
        `invalid request body: planId: unknown plan "${body.planId}" (plans: ${Object.keys(catalog.plans).join(', ')})`,
        { field: 'planId' },
      );
    const result = await setUserPlan(
      { db, catalog, metrics },
      {
        lineUserId,
        planId: body.planId,
        periodEnd: body.periodEnd ? new Date(body.periodEnd) : null,
        actor: req.adminActor!,
        reason: body.reason ?? null,
      },
    );
    const notice =
      result.changed && result.auditId && body.notify !== false
        ? await startPlanNotice(lineUserId, result.auditId, body.planId)
        : null;
    res.json({
      lineUserId,
      changed: result.changed,
      before: result.before,
      after: result.after,
      notice,
    });
  });

  router.post('/admin/privileged-users', auth, requireAdminActor, json, async (req, res) => {
    const body = parseBody(PrivilegedBody, req.body);
    const result = await addPrivilegedUser(
      { db, metrics },
      { lineUserId: body.lineUserId, note: body.note || null, actor: req.adminActor! },
    );
    res.status(result.changed ? 201 : 200).json({
      lineUserId: body.lineUserId,
      changed: result.changed,
      privileged: result.after,
    });
  });

  router.delete(
    '/admin/privileged-users/:lineUserId',
    auth,
    requireAdminActor,
    async (req, res) => {
      const lineUserId = lineUserIdParam(req);
      const result = await removePrivilegedUser(
        { db, metrics },
        { lineUserId, actor: req.adminActor! },
      );
      if (!result)
        throw new HttpError(404, 'NOT_FOUND', `LINE user ${lineUserId} is not privileged`);
      res.json({ lineUserId, changed: true, removed: result.before });
    },
  );

  return router;
}
