import { randomUUID } from 'node:crypto';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { Router, type RequestHandler } from 'express';
import multer from 'multer';
import { taskQueue, TaskQueues, workSearchAttributes } from '../../config/task-queues';
import { isBusinessError } from '../../domain/errors';
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
import { countUnusedTickets } from '../../ledger/tickets';
import { createPublicS3 } from '../../lib/s3';
import { findUnsupportedCharacters } from '../../lib/stickers/font';
import { validateBaseImage, type BaseImageInfo } from '../../lib/stickers/input';
import { createStampObjects } from '../../services/stamp-objects';
import { parkStampUpload } from '../../services/stamp-store';
import { stampUpload } from '../../workflows/stamp-upload';
import { lineLoginAuth } from '../auth';
import type { ApiDeps } from '../deps';
import { HttpError } from '../errors';

/** Lifetime of the image links in `GET /api/stamps/:id`. */
export const STATUS_LINK_SECONDS = 60 * 60;

/**
 * The user API for stamps (LINE Login ID token as `Authorization: Bearer`):
 *
 * - `POST /api/stamps` — `multipart/form-data` with `image` (the photo: JPEG, PNG or WebP,
 *   ≤ catalog stamp.maxUploadBytes) and `messages` (1..maxMessages texts of 1..maxMessageLength
 *   characters; a repeated field, `messages[]`, or one field holding a JSON array of strings),
 *   optional `deliver=line` to also get the result on LINE. → 202 `{ jobId, status }`.
 *   Every check runs before anything is written: a rejected request leaves no object, no row.
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
  const maxMb = Math.floor(limits.maxUploadBytes / 1048576);

  const upload = multer({
    storage: multer.memoryStorage(),
    limits: {
      fileSize: limits.maxUploadBytes,
      files: 1,
      fields: limits.maxMessages + 8,
      parts: limits.maxMessages + 10,
      fieldNameSize: 100,
      fieldSize: 16 * 1024,
    },
  }).single('image');

  const parseMultipart: RequestHandler = (req, res, next) => {
    if (!req.is('multipart/form-data')) {
      next(
        new HttpError(
          400,
          'INVALID_INPUT',
          'send multipart/form-data with an "image" file and "messages" fields',
        ),
      );
      return;
    }
    upload(req, res, (err: unknown) => {
      if (!err) return next();
      if (err instanceof multer.MulterError) {
        switch (err.code) {
          case 'LIMIT_FILE_SIZE':
            return next(
              new HttpError(413, 'INVALID_INPUT', `画像が大きすぎます（上限 ${maxMb}MB）。`, {
                field: 'image',
                reason: 'TOO_LARGE',
                maxBytes: limits.maxUploadBytes,
              }),
            );
          case 'LIMIT_UNEXPECTED_FILE':
          case 'LIMIT_FILE_COUNT':
            return next(
              new HttpError(400, 'INVALID_INPUT', 'send exactly one file, in the "image" field', {
                field: err.field ?? 'image',
                reason: err.code,
              }),
            );
          case 'LIMIT_FIELD_VALUE':
            return next(
              new HttpError(
                400,
                'INVALID_INPUT',
                `メッセージが長すぎます（1つ${limits.maxMessageLength}文字まで）。`,
                {
                  field: err.field ?? 'messages',
                  reason: 'MESSAGE_TOO_LONG',
                },
              ),
            );
          case 'LIMIT_FIELD_COUNT':
          case 'LIMIT_PART_COUNT':
            return next(
              new HttpError(
                400,
                'INVALID_INPUT',
                `メッセージが多すぎます（最大${limits.maxMessages}個）。`,
                {
                  field: 'messages',
                  reason: 'TOO_MANY_MESSAGES',
                  max: limits.maxMessages,
                },
              ),
            );
          default:
            return next(
              new HttpError(400, 'INVALID_INPUT', `bad multipart form: ${err.message}`, {
                reason: err.code,
              }),
            );
        }
      }
      next(new HttpError(400, 'INVALID_INPUT', 'malformed multipart/form-data body'));
    });
  };

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
    const file = req.file;
    if (!file) {
      throw new HttpError(400, 'INVALID_INPUT', '写真を "image" フィールドで送ってください。', {
        field: 'image',
        reason: 'MISSING',
      });
    }
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

    let info: BaseImageInfo;
    try {
      info = await validateBaseImage(file.buffer, limits);
    } catch (err) {
      if (!isBusinessError(err)) throw err;
      const status = err.details.reason === 'TOO_LARGE' ? 413 : 400;
      throw new HttpError(status, 'INVALID_INPUT', err.message, { ...err.details });
    }

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
      image: file.buffer,
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
    res
      .status(202)
      .location(`/api/stamps/${queueId}`)
      .json({ jobId: queueId, status: 'queued', messages: checked.messages.length });
  });

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
      messages: job.messages.map((m) => ({ order: m.orderPriority, message: m.message })),
      images,
    });
  });

  return router;
}

/** `messages` as a repeated field, `messages[]`, or one JSON array of strings. */
function readMessages(body: Record<string, unknown>): string[] {
  const value = body.messages ?? body['messages[]'];
  if (value === undefined) return [];
  const invalid = () =>
    new HttpError(
      400,
      'INVALID_INPUT',
      '"messages" must be text fields or a JSON array of strings',
      {
        field: 'messages',
        reason: 'MALFORMED',
      },
    );
  if (typeof value === 'string') {
    if (value.trim().startsWith('[')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        return [value];
      }
      if (!Array.isArray(parsed) || !parsed.every((m) => typeof m === 'string')) throw invalid();
      return parsed as string[];
    }
    return [value];
  }
  if (Array.isArray(value) && value.every((m) => typeof m === 'string')) {
    return value as string[];
  }
  throw invalid();
}

function readDeliver(value: unknown): 'line' | 'none' {
  if (value === undefined || value === '' || value === 'none') return 'none';
  if (value === 'line') return 'line';
  throw new HttpError(400, 'INVALID_INPUT', '"deliver" must be "line" or "none"', {
    field: 'deliver',
  });
}
