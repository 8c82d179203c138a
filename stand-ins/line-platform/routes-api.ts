import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { isRecord, jsonErrorLocation, matchPath, parseJson, readBody, sendJson } from '../http-kit';
import { CHAT_ID, RETRY_KEY, USER_ID } from './ids';
import type { LineState } from './state';
import type { LineMessage } from './types';
import { defaultErrorBody, validateMessages, validationError, type Detail } from './validate';
import { handleRichMenu } from './rich-menus';

/**
 * The Messaging API and data API endpoints (reply, push, loading, content, profile), with
 * LINE's status codes and bodies; queued failures (failNext) are applied here.
 */

const MAX_BODY = 2 * 1024 * 1024;

export async function handleApi(
  state: LineState,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  method: string,
  path: string,
): Promise<void> {
  const requestId = randomUUID();
  const base = { 'x-line-request-id': requestId };
  const reply = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    sendJson(res, status, body, { ...base, ...headers });

  const auth = req.headers.authorization;
  if (!auth) {
    reply(401, {
      message:
        "Authorization header required. Must follow the scheme, 'Authorization: Bearer <ACCESS TOKEN>'",
    });
    return;
  }
  if (auth !== `Bearer ${state.channelAccessToken}`) {
    reply(401, defaultErrorBody(401));
    return;
  }

  const failure = state.takeFailure(path);
  if (failure && !failure.opts.applyEffect) {
    reply(
      failure.status,
      failure.opts.body ?? defaultErrorBody(failure.status),
      failure.opts.headers,
    );
    return;
  }
  // With applyEffect the request runs normally; the failure replaces the response at the end.
  const respond = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    failure
      ? reply(
          failure.status,
          failure.opts.body ?? defaultErrorBody(failure.status),
          failure.opts.headers,
        )
      : reply(status, body, headers);

  if (await handleRichMenu(state.richMenuStore, req, res, method, path, respond)) return;

  const content = matchPath('/v2/bot/message/:messageId/content', path);
  const preview = matchPath('/v2/bot/message/:messageId/content/preview', path);
  const contentId = content?.messageId ?? preview?.messageId;
  if (contentId !== undefined) {
    if (method !== 'GET') return reply(405, { message: 'Method Not Allowed' });
    const item = state.content(contentId);
    if (!item) return respond(404, { message: 'Not found' });
    if (failure) return respond(200, null);
    if (res.headersSent || res.destroyed) return;
    res.writeHead(200, {
      ...base,
      'content-type': item.contentType,
      'content-length': String(item.data.length),
    });
    res.end(item.data);
    return;
  }

  const profile = matchPath('/v2/bot/profile/:userId', path);
  if (profile) {
    if (method !== 'GET') return reply(405, { message: 'Method Not Allowed' });
    const userId = profile.userId ?? '';
    if (state.validateIds && !USER_ID.test(userId)) {
      return respond(400, { message: "The value for the 'userId' parameter is invalid" });
    }
    return respond(200, state.profileFor(userId));
  }

  const endpoints = ['/v2/bot/message/reply', '/v2/bot/message/push', '/v2/bot/chat/loading/start'];
  if (!endpoints.includes(path)) {
    return reply(404, { message: 'Not found' });
  }
  if (method !== 'POST') return reply(405, { message: 'Method Not Allowed' });

  const contentType = String(req.headers['content-type'] ?? '');
  if (!/^application\/json\b/i.test(contentType)) {
    return reply(415, { message: `The content type, '${contentType}', is not supported` });
  }
  const raw = await readBody(req, MAX_BODY);
  const parsed = parseJson(raw);
  if (!parsed.ok) {
    const { line, column } = jsonErrorLocation(raw.toString('utf8'), parsed.error);
    return reply(400, {
      message: `The request body could not be parsed as JSON (line: ${line}, column: ${column})`,
    });
  }
  if (!isRecord(parsed.value)) {
    return reply(400, {
      message: 'The request body could not be parsed as JSON (line: 1, column: 1)',
    });
  }
  const body = parsed.value;
  const retryKeyHeader = req.headers['x-line-retry-key'];
  const retryKey = Array.isArray(retryKeyHeader) ? retryKeyHeader[0] : retryKeyHeader;

  if (path === '/v2/bot/message/reply') {
    if (retryKey !== undefined) {
      return reply(400, { message: 'X-Line-Retry-Key is not supported for this API' });
    }
    const details: Detail[] = [];
    if (typeof body.replyToken !== 'string' || !body.replyToken) {
      details.push({ message: 'must be specified', property: 'replyToken' });
    }
    details.push(...validateMessages(body.messages, state.httpsOnly));
    if (details.length) return reply(400, validationError(details));
    const token = state.useReplyToken(body.replyToken as string);
    if (!token) {
      return reply(400, { message: 'Invalid reply token' });
    }
    const messages = body.messages as LineMessage[];
    const sentMessages = state.sentMessagesFor(messages.length);
    state.record({
      kind: 'reply',
      to: token.userId,
      ...(token.chatId ? { chatId: token.chatId } : {}),
      replyToken: body.replyToken as string,
      messages,
      sentMessages,
      notificationDisabled: body.notificationDisabled === true,
      requestId,
    });
    return respond(200, { sentMessages });
  }

  if (path === '/v2/bot/message/push') {
    if (retryKey !== undefined && !RETRY_KEY.test(retryKey)) {
      return reply(400, { message: 'The retry key must be a UUID in hexadecimal format' });
    }
    if (retryKey !== undefined) {
      const accepted = state.acceptedRetry(retryKey);
      if (accepted) {
        return reply(
          409,
          { message: 'The retry key is already accepted', sentMessages: accepted.sentMessages },
          { 'x-line-accepted-request-id': accepted.requestId },
        );
      }
    }
    const details: Detail[] = [];
    if (typeof body.to !== 'string' || !body.to) {
      details.push({ message: 'must be specified', property: 'to' });
    }
    details.push(...validateMessages(body.messages, state.httpsOnly));
    if (details.length) return reply(400, validationError(details));
    const to = body.to as string;
    if (state.validateIds && !CHAT_ID.test(to)) {
      return reply(400, {
        message: "The property, 'to', in the request body is invalid (line: -, column: -)",
      });
    }
    if (!state.countPush()) {
      return reply(429, { message: 'You have reached your monthly limit.' });
    }
    const messages = body.messages as LineMessage[];
    const sentMessages = state.sentMessagesFor(messages.length);
    if (retryKey !== undefined) {
      state.acceptRetry(retryKey, { requestId, sentMessages });
    }
    state.record({
      kind: 'push',
      to,
      // A group (C…) or room (R…): the same target field a reply in one carries.
      ...(/^[CR]/.test(to) ? { chatId: to } : {}),
      messages,
      sentMessages,
      notificationDisabled: body.notificationDisabled === true,
      ...(retryKey !== undefined ? { retryKey } : {}),
      requestId,
    });
    return respond(200, { sentMessages });
  }

  // POST /v2/bot/chat/loading/start
  if (retryKey !== undefined) {
    return reply(400, { message: 'X-Line-Retry-Key is not supported for this API' });
  }
  const details: Detail[] = [];
  if (typeof body.chatId !== 'string' || !body.chatId) {
    details.push({ message: 'must be specified', property: 'chatId' });
  } else if (state.validateIds && !USER_ID.test(body.chatId)) {
    details.push({ message: 'must be a user ID (one-on-one chats only)', property: 'chatId' });
  }
  const seconds = body.loadingSeconds ?? 20;
  if (
    typeof seconds !== 'number' ||
    !Number.isInteger(seconds) ||
    seconds < 5 ||
    seconds > 60 ||
    seconds % 5 !== 0
  ) {
    details.push({
      message: 'must be a multiple of 5 between 5 and 60',
      property: 'loadingSeconds',
    });
  }
  if (details.length) return reply(400, validationError(details));
  state.record({
    kind: 'loading',
    to: body.chatId as string,
    loadingSeconds: seconds as number,
    requestId,
  });
  return respond(202, {});
}
