import type http from 'node:http';
import {
  CORS_HEADERS,
  InspectionError,
  isRecord,
  matchPath,
  readBody,
  readJsonObject,
  sendEmpty,
  sendJson,
} from '../http-kit';
import type { LineState } from './state';
import type { LineProfile, LineRecordKind } from './types';

/**
 * Inspection and control over HTTP (no auth, CORS open), for tests in other processes and the
 * /dev simulator: what was received, reply tokens, content, profiles, failures, reset.
 */

const MAX_BODY = 2 * 1024 * 1024;
const MAX_CONTENT_UPLOAD = 50 * 1024 * 1024;

export async function handleInspection(
  state: LineState,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  method: string,
  path: string,
  query: URLSearchParams,
): Promise<void> {
  const send = (status: number, body: unknown) => sendJson(res, status, body, CORS_HEADERS);
  if (method === 'OPTIONS') return sendEmpty(res, 204, CORS_HEADERS);
  const readJson = () => readJsonObject(req, MAX_BODY);
  try {
    if (method === 'GET' && (path === '/__stand-in' || path === '/__stand-in/health')) {
      return send(200, { ok: true, service: 'line-platform', url: state.baseUrl });
    }
    if (method === 'GET' && path === '/__stand-in/messages') {
      const kind = query.get('kind') ?? undefined;
      if (kind !== undefined && !['reply', 'push', 'loading'].includes(kind)) {
        throw new InspectionError('kind must be reply, push or loading');
      }
      const after = query.get('after');
      return send(200, {
        received: state.received({
          userId: query.get('userId') ?? undefined,
          kind: kind as LineRecordKind | undefined,
          after: after === null ? undefined : Number(after),
        }),
      });
    }
    if (method === 'POST' && path === '/__stand-in/reply-tokens') {
      const body = await readJson();
      if (body.userId !== undefined && typeof body.userId !== 'string') {
        throw new InspectionError('userId must be a string');
      }
      if (body.chatId !== undefined && typeof body.chatId !== 'string') {
        throw new InspectionError('chatId must be a string');
      }
      if (body.ageSeconds !== undefined && typeof body.ageSeconds !== 'number') {
        throw new InspectionError('ageSeconds must be a number');
      }
      const replyToken = state.issueReplyToken({
        userId: body.userId as string | undefined,
        chatId: body.chatId as string | undefined,
        ageSeconds: body.ageSeconds as number | undefined,
      });
      return send(201, { replyToken });
    }
    const contentUpload = matchPath('/__stand-in/content/:messageId', path);
    if (method === 'POST' && contentUpload) {
      const data = await readBody(req, MAX_CONTENT_UPLOAD);
      const contentType = String(req.headers['content-type'] ?? 'application/octet-stream');
      const messageId = contentUpload.messageId ?? '';
      state.putContent(messageId, data, contentType);
      return send(201, { messageId, size: data.length, contentType });
    }
    const profileUpdate = matchPath('/__stand-in/profiles/:userId', path);
    if (method === 'POST' && profileUpdate) {
      const body = await readJson();
      state.setProfile(profileUpdate.userId ?? '', body as Partial<LineProfile>);
      return sendEmpty(res, 204, CORS_HEADERS);
    }
    if (method === 'POST' && path === '/__stand-in/fail') {
      const body = await readJson();
      if (typeof body.path !== 'string' || typeof body.status !== 'number') {
        throw new InspectionError('path (string) and status (number) are required');
      }
      state.failNext(body.path, body.status, typeof body.count === 'number' ? body.count : 1, {
        body: body.body,
        headers: isRecord(body.headers) ? (body.headers as Record<string, string>) : undefined,
        applyEffect: body.applyEffect === true,
      });
      return sendEmpty(res, 204, CORS_HEADERS);
    }
    if (method === 'POST' && path === '/__stand-in/reset') {
      state.reset();
      return sendEmpty(res, 204, CORS_HEADERS);
    }
    return send(404, { message: `no inspection endpoint ${method} ${path}` });
  } catch (err) {
    if (err instanceof InspectionError) return send(400, { message: err.message });
    throw err;
  }
}
