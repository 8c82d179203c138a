import type http from 'node:http';
import {
  CORS_HEADERS,
  InspectionError,
  isRecord,
  readJsonObject,
  sendEmpty,
  sendJson,
} from '../http-kit';
import type { LlmState } from './state';
import type { LlmReply } from './types';

/** Inspection and control over HTTP (no auth, CORS open), for tests in other processes. */

export async function handleInspection(
  state: LlmState,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  method: string,
  path: string,
): Promise<void> {
  const send = (status: number, payload: unknown) => sendJson(res, status, payload, CORS_HEADERS);
  const ok = () => sendEmpty(res, 204, CORS_HEADERS);
  if (method === 'OPTIONS') return ok();
  const readJson = () => readJsonObject(req, 20 * 1024 * 1024);
  try {
    if (method === 'GET' && (path === '/__stand-in' || path === '/__stand-in/health')) {
      return send(200, { ok: true, service: 'llm-provider', baseURL: `${state.baseUrl}/v1` });
    }
    if (method === 'GET' && path === '/__stand-in/requests') {
      return send(200, { requests: state.requests() });
    }
    if (method === 'POST' && path === '/__stand-in/reset') {
      state.reset();
      return ok();
    }
    if (method === 'POST' && path === '/__stand-in/latency') {
      const body = await readJson();
      if (typeof body.ms !== 'number' || body.ms < 0) throw new InspectionError('ms must be >= 0');
      state.setLatency(body.ms);
      return ok();
    }
    if (method === 'POST' && path === '/__stand-in/fail') {
      const body = await readJson();
      if (typeof body.status !== 'number') throw new InspectionError('status (number) is required');
      state.failNext(
        body.status,
        typeof body.count === 'number' ? body.count : 1,
        body.body,
        isRecord(body.headers) ? { headers: body.headers as Record<string, string> } : {},
      );
      return ok();
    }
    if (method === 'POST' && path === '/__stand-in/down') {
      const body = await readJson();
      if (typeof body.down !== 'boolean') throw new InspectionError('down (boolean) is required');
      if (body.mode !== undefined && body.mode !== 'reset' && body.mode !== '503') {
        throw new InspectionError("mode must be 'reset' or '503'");
      }
      state.setDown(body.down, body.mode as 'reset' | '503' | undefined);
      return ok();
    }
    if (method === 'POST' && path === '/__stand-in/replies') {
      const body = await readJson();
      const replies = body.replies;
      if (
        !Array.isArray(replies) ||
        !replies.every(
          (r) => typeof r === 'string' || (isRecord(r) && typeof r.content === 'string'),
        )
      ) {
        throw new InspectionError('replies must be an array of strings or {content} objects');
      }
      state.queueReply(...(replies as Array<string | LlmReply>));
      return ok();
    }
    return send(404, { message: `no inspection endpoint ${method} ${path}` });
  } catch (err) {
    if (err instanceof InspectionError) return send(400, { message: err.message });
    throw err;
  }
}
