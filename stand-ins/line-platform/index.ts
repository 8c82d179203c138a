import { closeServer, CORS_HEADERS, listen, sendJson } from '../http-kit';
import { handleApi } from './routes-api';
import { handleInspection } from './routes-inspection';
import { createLineState } from './state';
import type { LinePlatformStandIn, StartLinePlatformOptions } from './types';

export { makeLineUserId } from './ids';
export { connectLinePlatform, type LinePlatformRemote } from './remote';
export type * from './types';

/**
 * Stand-in for the LINE Platform (Messaging API on api.line.me and the data API on
 * api-data.line.me), speaking LINE's request/response shapes and status codes for the calls
 * this product makes. Both hosts are served by the same server, so point BOTH
 * LINE_API_BASE_URL and LINE_DATA_API_BASE_URL at `url`.
 *
 * Implemented (all need `Authorization: Bearer <channel access token>`, else 401):
 * - POST /v2/bot/message/reply        {replyToken, messages[1..5], notificationDisabled?}
 * - POST /v2/bot/message/push         {to, messages[1..5]} + optional X-Line-Retry-Key (UUID)
 * - POST /v2/bot/chat/loading/start   {chatId, loadingSeconds? 5..60 step 5, default 20} → 202 {}
 * - GET  /v2/bot/message/{id}/content (and /content/preview): bytes registered by putContent
 * - GET  /v2/bot/profile/{userId}
 * - rich menus (./rich-menus.ts): POST /v2/bot/richmenu, GET /v2/bot/richmenu/list,
 *   GET|DELETE /v2/bot/richmenu/{id}, POST|GET /v2/bot/richmenu/{id}/content (data API),
 *   POST /v2/bot/user/all/richmenu/{id}, GET|DELETE /v2/bot/user/all/richmenu
 *
 * Inspection/control (no auth, CORS open, for tests in other processes and the simulator page):
 * - GET  /__stand-in/messages?userId=&kind=&after=   → {received: LineRecord[]}
 * - POST /__stand-in/reply-tokens {userId?, chatId?, ageSeconds?} → 201 {replyToken}
 * - POST /__stand-in/content/{messageId} (raw body, Content-Type kept) → 201
 * - POST /__stand-in/profiles/{userId} {displayName, ...} → 204
 * - POST /__stand-in/fail {path, status, count?, body?, headers?, applyEffect?} → 204
 * - POST /__stand-in/reset → 204
 *
 * Deviations worth knowing: reply tokens are only valid if issued by this stand-in
 * (issueReplyToken or POST /__stand-in/reply-tokens); an expired or reused token gets the same
 * 400 "Invalid reply token" as LINE. Text length is counted in UTF-16 code units (an emoji
 * counts 2), the strictest reading of LINE's 5000-character limit. Retry keys never expire
 * (LINE keeps them for 24 hours).
 */
export async function startLinePlatform(
  options: StartLinePlatformOptions,
): Promise<LinePlatformStandIn> {
  const state = createLineState(options);
  const listening = await listen(
    async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://stand-in');
      const method = req.method ?? 'GET';
      if (url.pathname === '/__stand-in' || url.pathname.startsWith('/__stand-in/')) {
        return handleInspection(state, req, res, method, url.pathname, url.searchParams);
      }
      // LINE Login's public keys: no channel access token needed, as at LINE.
      if (method === 'GET' && url.pathname === '/oauth2/v2.1/certs') {
        return sendJson(res, 200, state.loginJwks, CORS_HEADERS);
      }
      return handleApi(state, req, res, method, url.pathname);
    },
    options.port ?? 0,
    options.host ?? '127.0.0.1',
  );

  state.baseUrl = listening.url;
  return {
    url: listening.url,
    dataUrl: listening.url,
    port: listening.port,
    close: () => closeServer(listening.server),
    issueReplyToken: state.issueReplyToken,
    signIdToken: state.signIdToken,
    received: state.received,
    messagesFor: state.messagesFor,
    textsFor: state.textsFor,
    waitFor: state.waitFor,
    putContent: state.putContent,
    richMenus: state.richMenus,
    setProfile: state.setProfile,
    failNext: state.failNext,
    reset: state.reset,
  };
}
