import { randomUUID } from 'node:crypto';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { Router } from 'express';
import { taskQueue, TaskQueues, workSearchAttributes } from '../../config/task-queues';
import {
  isUuid,
  mainKey,
  previewKey,
  stampJobPrefix,
  stampUploadWorkflowId,
  stickerKey,
  tabKey,
  zipKey,
  ZIP_FILE,
} from '../../domain/stamp-keys';
import { validateStampMessages } from '../../domain/stamp-messages';
import { checkSetSize, setSizeMessage } from '../../domain/sticker-set-rules';
import { countUnusedTickets } from '../../ledger/tickets';
import { createPublicS3 } from '../../lib/s3';
import { findUnsupportedCharacters } from '../../lib/stickers/font';
import { createStampObjects } from '../../services/stamp-objects';
import { parkStampUpload } from '../../services/stamp-store';
import { stampUpload } from '../../workflows/stamp-upload';
import { lineLoginAuth } from '../auth';
import type { ApiDeps } from '../deps';
import { HttpError } from '../errors';
import { stampPreviewRoute } from './stamp-preview';
import {
  readDeliver,
  readMessages,
  readMode,
  readPhoto,
  readStyle,
  stampMultipart,
  requireImage,
} from './stamp-multipart';

/** Lifetime of the image links in `GET /api/stamps/:id`. */
export const STATUS_LINK_SECONDS = 60 * 60;

/**
 * The user API for stamps (LINE Login ID token as `Authorization: Bearer`):
 *
 * - `POST /api/stamps` — `multipart/form-data` with `image` (the photo: JPEG, PNG or WebP,
 *   ≤ catalog stamp.maxUploadBytes) and `messages` (1..maxMessages texts of 1..maxMessageLength
 *   characters; a repeated field, `messages[]`, or one field holding a JSON array of strings),
 *   optional `deliver=line` to also get the result on LINE, `style` (a look: card, circle,
 *   bubble, bold, or a JSON style `{"look":"bold","caption":"top","textColor":"#rrggbb"}`;
 *   default card) and `mode` (`personal`: 1..40 stickers, the default; `creators`: a LINE
 *   Creators Market set of 8/16/24/32/40, another count is refused with how many more texts
 *   are needed). → 202 `{ jobId, status, messages, style, mode }`.
 *   Every check runs before anything is written: a rejected request leaves no object, no row.
 * - `POST /api/stamps/preview` — the same `image` and `style`, and up to 4 `messages`
 *   (default sample captions): a JPEG sheet of those stickers in that style. Spends no ticket
 *   and stores nothing.
 * - `GET /api/stamps/:id` — the job's status and, once completed, presigned image URLs; only
 *   for its owner (404 for anyone else, as for an unknown ID).
 *
 * Errors: 400 invalid input, 401 no/invalid token, 402 no ticket, 404 unknown user or job,
 * 413 photo too large, 503 the job could not be queued; body `{ error, error_code, ... }`.
 */
export function stampsRouter(deps: ApiDeps): Router {
  const router = Router();
  const { env, catalog } = deps.config;
  const limits = catalog.stamp;
  const objects = createStampObjects(deps.s3, env.S3_BUCKET, createPublicS3(env));

  const parseMultipart = stampMultipart(limits);

  router.post('/api/stamps', lineLoginAuth(env), parseMultipart, async (req, res) => {
    const lineUserId = req.lineUserId!;
    const user = await deps.db.user.findUnique({ where: { lineUserId } });
    if (!user || user.deletedAt) {
      throw new HttpError(
        404,
        'UNKNOWN_USER',
        'ユーザーが見つかりません。LINEで友だち追加してから、もう一度お試しください。',
      );
    }
    const body = (req.body ?? {}) as Record<string, unknown>;
    const image = requireImage(req.file);
    const checked = validateStampMessages(readMessages(body), limits, (t) =>
      findUnsupportedCharacters(t),
    );
    if (!checked.ok) {
      const first = checked.problems[0]!;
      throw new HttpError(400, 'INVALID_INPUT', first.message, {
        field: 'messages',
        reason: first.code,
        problems: checked.problems,
      });
    }
    const deliver = readDeliver(body.deliver);
    const style = readStyle(body.style);
    const mode = readMode(body.mode);
    // Creators Market takes 8/16/24/32/40 stickers: a set of another size is refused here,
    // before a ticket is taken, with how many more texts make the next size.
    const set = checkSetSize(mode, checked.messages.length);
    if (!set.ok) {
      throw new HttpError(400, 'INVALID_INPUT', setSizeMessage(set) ?? 'not a set size', {
        field: 'messages',
        reason: set.reason,
        mode,
        count: set.count,
        ...(set.reason === 'NOT_A_SET_SIZE'
          ? { missing: set.missing, nextSize: set.nextSize, trimTo: set.trimTo }
          : { max: set.max }),
      });
    }

    const info = await readPhoto(image, limits);

    const tickets = await countUnusedTickets(deps.db, user.id);
    if (tickets === 0) {
      throw new HttpError(
        402,
        'NO_TICKET',
        'スタンプチケットがありません。チケットを購入してから、もう一度お試しください。',
        {
          checkout: 'POST /api/checkout {"productId": "<product>"}',
          products: Object.entries(catalog.products)
            .filter(([, p]) => p.kind === 'tickets')
            .map(([id, p]) => ({ productId: id, name: p.name, priceYen: p.priceYen })),
        },
      );
    }

    // The photo is too large for a workflow input: it is parked at the job's upload key, and
    // the stampUpload workflow records the job and starts it (or removes it all, failing).
    const queueId = randomUUID();
    await parkStampUpload(objects, {
      queueId,
      userId: user.id,
      format: info.format,
      image,
    });
    let started = false;
    try {
      const upload = await deps.temporal.workflow.start(stampUpload, {
        workflowId: stampUploadWorkflowId(queueId),
        taskQueue: taskQueue(env.TASK_QUEUE_PREFIX, TaskQueues.stamp),
        args: [
          {
            queueId,
            userId: user.id,
            lineUserId,
            format: info.format,
            messages: [...checked.messages],
            deliver,
            style,
            mode,
          },
        ],
        typedSearchAttributes: workSearchAttributes(lineUserId, 'stamp'),
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      });
      started = true;
      await upload.result();
    } catch (err) {
      deps.logger.error({ queueId, err: (err as Error).message }, 'stamp job could not start');
      // Not started: nothing but the parked photo exists. Started: the workflow cleaned up.
      if (!started) {
        await objects.deletePrefix(stampJobPrefix(user.id, queueId)).catch(() => undefined);
      }
      deps.metrics.workflowStarts.inc({ kind: 'stamp', result: 'error' });
      throw new HttpError(503, 'SYSTEM_ERROR', 'the job could not be queued; try again later');
    }
    deps.metrics.workflowStarts.inc({ kind: 'stamp', result: 'started' });
    res.status(202).location(`/api/stamps/${queueId}`).json({
      jobId: queueId,
      status: 'queued',
      messages: checked.messages.length,
      style,
      mode,
    });
  });

  router.post('/api/stamps/preview', lineLoginAuth(env), parseMultipart, stampPreviewRoute(deps));

  router.get('/api/stamps/:id', lineLoginAuth(env), async (req, res) => {
    const id = String(req.params.id);
    const notFound = () => new HttpError(404, 'NOT_FOUND', 'stamp job not found');
    if (!isUuid(id)) throw notFound();
    const user = await deps.db.user.findUnique({ where: { lineUserId: req.lineUserId! } });
    if (!user) throw notFound();
    const job = await deps.db.lineStampGenerateQueue.findFirst({
      where: { id, userId: user.id, deletedAt: null },
      include: { messages: { where: { deletedAt: null }, orderBy: { orderPriority: 'asc' } } },
    });
    if (!job) throw notFound();

    let images: Record<string, unknown> | null = null;
    if (job.status === 'completed') {
      const sign = (key: string, name?: string) => objects.presign(key, STATUS_LINK_SECONDS, name);
      const u = job.userId;
      const [stickers, main, tab, zip, preview] = await Promise.all([
        Promise.all(
          job.messages.map(async (m) => ({
            order: m.orderPriority,
            message: m.message,
            url: await sign(stickerKey(u, job.id, m.orderPriority)),
          })),
        ),
        sign(mainKey(u, job.id)),
        sign(tabKey(u, job.id)),
        sign(zipKey(u, job.id), ZIP_FILE),
        sign(previewKey(u, job.id)),
      ]);
      images = { stickers, main, tab, zip, preview, expiresInSeconds: STATUS_LINK_SECONDS };
    }
    res.set('Cache-Control', 'no-store').json({
      jobId: job.id,
      status: job.status,
      source: job.source,
      failureReason: job.failureReason,
      createdAt: job.createdAt.toISOString(),
      updatedAt: job.updatedAt.toISOString(),
      consumedAt: job.consumedAt?.toISOString() ?? null,
      exif: job.imageExif,
      style: job.style,
      mode: job.setMode,
      messages: job.messages.map((m) => ({ order: m.orderPriority, message: m.message })),
      images,
    });
  });

  return router;
}
