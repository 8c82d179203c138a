import express, { Router, type Request } from 'express';
import multer from 'multer';
import { makeLineUserId } from '../../stand-ins';
import {
  followEvent,
  imageEvent,
  lineMessageId,
  stickerEvent,
  textEvent,
} from '../../stand-ins/line-webhook';
import { HttpError } from '../errors';
import { bodyOf, lineUserIdOf, MAX_TEXT } from './request';
import type { KnownUser, SentEntry } from './sent-log';
import type { Simulator } from './simulator';

/** Users of the simulator and what they do in LINE: follow, write, send a photo. */

const MAX_PHOTO_BYTES = 20 * 1024 * 1024;
/** How long the photo endpoint waits for the bot's answer to the photo before sending texts. */
const PHOTO_PROMPT_WAIT_MS = 30_000;
/** LINE's package and sticker IDs are decimal numbers. */
const STICKER_ID = /^\d{1,12}$/;

export function userRoutes(sim: Simulator): Router {
  const router = Router();
  const { deps, line, log, standIn } = sim;
  const upload = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: MAX_PHOTO_BYTES, files: 1, fields: 4 },
  }).single('image');

  async function sendText(req: Request, lineUserId: string, text: string): Promise<SentEntry> {
    const { at, webhookEventId, options } = await line.prepare(lineUserId, true);
    const { status } = await line.post(req, textEvent(lineUserId, text, options));
    return log.remember(lineUserId, at, { kind: 'text', text, webhookEventId, status });
  }

  /** Recent database users and the ones created here (which may not have written yet). */
  router.get('/dev/api/users', async (_req, res) => {
    const rows = await deps.db.user.findMany({
      orderBy: { createdAt: 'desc' },
      take: 30,
      select: { lineUserId: true, createdAt: true, deletedAt: true },
    });
    const users = new Map<string, KnownUser & { inDatabase: boolean; deleted: boolean }>();
    for (const u of log.users())
      users.set(u.lineUserId, { ...u, inDatabase: false, deleted: false });
    for (const r of rows) {
      const known = log.user(r.lineUserId);
      users.set(r.lineUserId, {
        lineUserId: r.lineUserId,
        ...(known?.displayName ? { displayName: known.displayName } : {}),
        createdAt: known?.createdAt ?? r.createdAt.toISOString(),
        inDatabase: true,
        deleted: r.deletedAt !== null,
      });
    }
    const list = [...users.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    res.json({ users: list });
  });

  router.post('/dev/api/users', express.json({ limit: '4kb' }), async (req, res) => {
    const body = bodyOf(req);
    const displayName =
      typeof body.displayName === 'string' && body.displayName.trim() !== ''
        ? body.displayName.trim().slice(0, 20)
        : undefined;
    const lineUserId = makeLineUserId();
    if (displayName) {
      await line.requireStandIn();
      await standIn.setProfile(lineUserId, { displayName });
    }
    const user: KnownUser = {
      lineUserId,
      ...(displayName ? { displayName } : {}),
      createdAt: new Date().toISOString(),
    };
    log.addUser(user);
    res.status(201).json(user);
  });

  router.post('/dev/api/users/:lineUserId/follow', async (req, res) => {
    const lineUserId = lineUserIdOf(req);
    await line.requireStandIn();
    const { at, webhookEventId, options } = await line.prepare(lineUserId, true);
    const { status } = await line.post(req, followEvent(lineUserId, options));
    res.status(202).json(log.remember(lineUserId, at, { kind: 'follow', webhookEventId, status }));
  });

  router.post(
    '/dev/api/users/:lineUserId/text',
    express.json({ limit: '64kb' }),
    async (req, res) => {
      const lineUserId = lineUserIdOf(req);
      const text = bodyOf(req).text;
      if (typeof text !== 'string' || text.trim() === '' || text.length > MAX_TEXT)
        throw new HttpError(
          400,
          'INVALID_INPUT',
          `body must be JSON { "text": "<1..${MAX_TEXT} characters>" }`,
        );
      await line.requireStandIn();
      res.status(202).json(await sendText(req, lineUserId, text));
    },
  );

  router.post(
    '/dev/api/users/:lineUserId/sticker',
    express.json({ limit: '4kb' }),
    async (req, res) => {
      const lineUserId = lineUserIdOf(req);
      const { packageId, stickerId } = bodyOf(req);
      if (
        typeof packageId !== 'string' ||
        typeof stickerId !== 'string' ||
        !STICKER_ID.test(packageId) ||
        !STICKER_ID.test(stickerId)
      )
        throw new HttpError(
          400,
          'INVALID_INPUT',
          'body must be JSON { "packageId": "<digits>", "stickerId": "<digits>" }',
        );
      await line.requireStandIn();
      const { at, webhookEventId, options } = await line.prepare(lineUserId, true);
      const { status } = await line.post(
        req,
        stickerEvent(lineUserId, packageId, stickerId, options),
      );
      const entry = log.remember(lineUserId, at, {
        kind: 'sticker',
        packageId,
        stickerId,
        webhookEventId,
        status,
      });
      res.status(202).json(entry);
    },
  );

  router.post('/dev/api/users/:lineUserId/photo', async (req, res) => {
    const lineUserId = lineUserIdOf(req);
    await new Promise<void>((resolve, reject) =>
      upload(req, res, (err: unknown) => {
        if (!err) return resolve();
        if (err instanceof multer.MulterError)
          return reject(
            new HttpError(
              err.code === 'LIMIT_FILE_SIZE' ? 413 : 400,
              'INVALID_INPUT',
              `photo upload: ${err.message}`,
            ),
          );
        reject(err as Error);
      }),
    );
    const file = req.file;
    if (!file || file.size === 0)
      throw new HttpError(400, 'INVALID_INPUT', 'send multipart/form-data with an "image" file');
    const rawTexts = bodyOf(req).texts;
    const texts = typeof rawTexts === 'string' ? rawTexts.replace(/\r\n?/g, '\n').trim() : '';
    if (texts.length > MAX_TEXT)
      throw new HttpError(400, 'INVALID_INPUT', `texts: at most ${MAX_TEXT} characters`);
    await line.requireStandIn();

    // LINE keeps the bytes; the bot downloads them from the data API by message ID.
    const messageId = lineMessageId();
    await standIn.putContent(messageId, file.buffer, file.mimetype || 'application/octet-stream');
    const before = await line.lastSeq(lineUserId);
    const { at, webhookEventId, options } = await line.prepare(lineUserId, true);
    const { status } = await line.post(req, imageEvent(lineUserId, messageId, options));
    const photo = log.remember(lineUserId, at, {
      kind: 'photo',
      photoMessageId: messageId,
      webhookEventId,
      status,
    });
    if (!texts) {
      res.status(202).json({ photo });
      return;
    }
    // As a person would: read the bot's answer to the photo (it asks for the texts), then type.
    const prompted = await line.waitForBot(lineUserId, before, PHOTO_PROMPT_WAIT_MS);
    const text = await sendText(req, lineUserId, texts);
    res.status(202).json({ photo, text, prompted });
  });

  return router;
}
