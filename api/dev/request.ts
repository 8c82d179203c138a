import type { Request } from 'express';
import { MAX_POSTBACK_DATA } from '../../domain/line-ui/postback';
import { HttpError } from '../errors';

/** Request helpers of the simulator's JSON endpoints. */

const LINE_USER_ID = /^U[0-9a-f]{32}$/;

/** The longest text (and photo caption block) the simulator sends, as LINE's text limit. */
export const MAX_TEXT = 5000;

/** This server, as seen from itself: the address and port the request arrived on. */
export function selfUrl(req: Request): string {
  let host = req.socket.localAddress ?? '127.0.0.1';
  if (host.startsWith('::ffff:')) host = host.slice(7);
  if (host === '::' || host === '0.0.0.0') host = '127.0.0.1';
  const port = req.socket.localPort;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export function param(req: Request, name: string): string {
  const value = (req.params as Record<string, string | undefined>)[name];
  return typeof value === 'string' ? value : '';
}

export function lineUserIdOf(req: Request): string {
  const id = param(req, 'lineUserId');
  if (!LINE_USER_ID.test(id))
    throw new HttpError(400, 'INVALID_INPUT', 'a LINE user ID is "U" followed by 32 hex digits');
  return id;
}

export function bodyOf(req: Request): Record<string, unknown> {
  const body: unknown = req.body;
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
}

/** LINE allows 300 characters of a postback action's displayText. */
const MAX_DISPLAY_TEXT = 300;

/**
 * A simulated tap on a postback button: its `data` (1..MAX_POSTBACK_DATA characters, else a 400
 * saying `usage`) and the optional `displayText` LINE shows in the chat as the user's message.
 */
export function postbackOf(
  body: Record<string, unknown>,
  usage: string,
): { data: string; displayText: string | undefined } {
  const { data } = body;
  const displayText = typeof body.displayText === 'string' ? body.displayText : undefined;
  if (typeof data !== 'string' || data === '' || data.length > MAX_POSTBACK_DATA)
    throw new HttpError(400, 'INVALID_INPUT', usage);
  if (displayText !== undefined && displayText.length > MAX_DISPLAY_TEXT)
    throw new HttpError(400, 'INVALID_INPUT', `displayText: at most ${MAX_DISPLAY_TEXT}`);
  return { data, displayText };
}
