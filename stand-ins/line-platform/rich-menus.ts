import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { isRecord, matchPath, parseJson, PayloadTooLargeError, readBody } from '../http-kit';
import { validationError, type Detail } from './validate';

/**
 * The rich-menu endpoints of the LINE stand-in: create, get, list, delete, upload and download
 * the image (data API), set, get and cancel the default. Requests are checked as LINE checks
 * them (the RichMenuRequest of LINE's OpenAPI description plus the documented limits: image
 * 800–2500 px wide, at least 250 px high, width/height ≥ 1.45, 1–20 areas inside the image, name
 * ≤ 300, chatBarText ≤ 14; an image ≤ 1 MB, JPEG or PNG, uploaded once; no default without an
 * image). Every accepted change is logged for tests (`richMenuCalls`).
 */

export interface StoredRichMenu {
  richMenuId: string;
  size: { width: number; height: number };
  selected: boolean;
  name: string;
  chatBarText: string;
  areas: unknown[];
  image?: { data: Buffer; contentType: string };
}

export interface RichMenuCall {
  method: string;
  path: string;
  /** The JSON body of a create; the image's content type and size of an upload. */
  body?: unknown;
}

export interface RichMenuStore {
  menus: Map<string, StoredRichMenu>;
  defaultId: string | undefined;
  calls: RichMenuCall[];
}

export function createRichMenuStore(): RichMenuStore {
  return { menus: new Map(), defaultId: undefined, calls: [] };
}

/** LINE keeps at most 1000 rich menus per channel. */
const MAX_MENUS = 1000;
const MAX_IMAGE_BYTES = 1024 * 1024;

const isInt = (v: unknown, min: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= min;

/** RichMenuRequest (OpenAPI) and the limits LINE documents for it. */
export function validateRichMenu(body: Record<string, unknown>): Detail[] {
  const details: Detail[] = [];
  const size = body.size as { width?: unknown; height?: unknown } | undefined;
  const width = size?.width;
  const height = size?.height;
  if (!isRecord(size) || !isInt(width, 800) || width > 2500 || !isInt(height, 250)) {
    details.push({ message: 'must be 800-2500 wide and at least 250 high', property: 'size' });
  } else if (width / height < 1.45) {
    details.push({
      message: 'aspect ratio (width / height) must be 1.45 or more',
      property: 'size',
    });
  }
  if (typeof body.selected !== 'boolean')
    details.push({ message: 'must be specified', property: 'selected' });
  if (typeof body.name !== 'string' || body.name.length < 1 || body.name.length > 300)
    details.push({ message: 'size must be between 1 and 300', property: 'name' });
  if (
    typeof body.chatBarText !== 'string' ||
    body.chatBarText.length < 1 ||
    body.chatBarText.length > 14
  )
    details.push({ message: 'size must be between 1 and 14', property: 'chatBarText' });
  const areas = body.areas;
  if (!Array.isArray(areas) || areas.length < 1 || areas.length > 20) {
    details.push({ message: 'size must be between 1 and 20', property: 'areas' });
    return details;
  }
  areas.forEach((area: unknown, i) => {
    const at = `areas[${i}]`;
    const a = isRecord(area) ? area : {};
    const b = isRecord(a.bounds) ? a.bounds : {};
    const { x, y, width: w, height: h } = b;
    if (!isInt(x, 0) || !isInt(y, 0) || !isInt(w, 1) || !isInt(h, 1)) {
      details.push({ message: 'must be specified', property: `${at}.bounds` });
    } else if (isInt(width, 1) && isInt(height, 1) && (x + w > width || y + h > height)) {
      details.push({ message: 'must be inside the rich menu', property: `${at}.bounds` });
    }
    const action = isRecord(a.action) ? a.action : undefined;
    if (!action || typeof action.type !== 'string') {
      details.push({ message: 'must be specified', property: `${at}.action` });
    } else if (action.type === 'message' && typeof action.text !== 'string') {
      details.push({ message: 'must be specified', property: `${at}.action.text` });
    } else if (action.type === 'postback' && typeof action.data !== 'string') {
      details.push({ message: 'must be specified', property: `${at}.action.data` });
    } else if (typeof action.label === 'string' && Array.from(action.label).length > 20) {
      details.push({ message: 'size must be between 0 and 20', property: `${at}.action.label` });
    }
  });
  return details;
}

/** A PNG's size from its IHDR chunk; undefined for anything else (JPEG is not parsed). */
function pngSize(data: Buffer): { width: number; height: number } | undefined {
  const signature = '89504e470d0a1a0a';
  if (data.length < 24 || data.subarray(0, 8).toString('hex') !== signature) return undefined;
  return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
}

const publicMenu = (m: StoredRichMenu) => ({
  richMenuId: m.richMenuId,
  size: m.size,
  selected: m.selected,
  name: m.name,
  chatBarText: m.chatBarText,
  areas: m.areas,
});

type Reply = (status: number, body: unknown) => void;

/**
 * Handles the request when it is a rich-menu endpoint (true), else leaves it alone (false).
 * `respond` is the caller's answer, which applies queued failures.
 */
export async function handleRichMenu(
  store: RichMenuStore,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  method: string,
  path: string,
  respond: Reply,
): Promise<boolean> {
  if (!path.startsWith('/v2/bot/richmenu') && !path.startsWith('/v2/bot/user/all/richmenu'))
    return false;
  const log = (body?: unknown) => store.calls.push({ method, path, ...(body ? { body } : {}) });
  const notFound = () => respond(404, { message: 'Not found' });

  if (path === '/v2/bot/richmenu' && method === 'POST') {
    const parsed = parseJson(await readBody(req, MAX_IMAGE_BYTES));
    if (!parsed.ok || !isRecord(parsed.value)) {
      respond(400, { message: 'The request body could not be parsed as JSON' });
      return true;
    }
    const details = validateRichMenu(parsed.value);
    if (details.length) {
      respond(400, validationError(details));
      return true;
    }
    if (store.menus.size >= MAX_MENUS) {
      respond(400, { message: 'The maximum number of rich menus has been reached' });
      return true;
    }
    const body = parsed.value;
    const richMenuId = `richmenu-${randomBytes(16).toString('hex')}`;
    store.menus.set(richMenuId, {
      richMenuId,
      size: body.size as StoredRichMenu['size'],
      selected: body.selected as boolean,
      name: body.name as string,
      chatBarText: body.chatBarText as string,
      areas: body.areas as unknown[],
    });
    log(body);
    respond(200, { richMenuId });
    return true;
  }
  if (path === '/v2/bot/richmenu/list' && method === 'GET') {
    respond(200, { richmenus: [...store.menus.values()].map(publicMenu) });
    return true;
  }
  if (path === '/v2/bot/user/all/richmenu') {
    if (method === 'GET') {
      if (!store.defaultId) respond(404, { message: 'no default richmenu' });
      else respond(200, { richMenuId: store.defaultId });
    } else if (method === 'DELETE') {
      store.defaultId = undefined;
      log();
      respond(200, {});
    } else respond(405, { message: 'Method Not Allowed' });
    return true;
  }
  const setDefault = matchPath('/v2/bot/user/all/richmenu/:richMenuId', path);
  if (setDefault && method === 'POST') {
    const menu = store.menus.get(setDefault.richMenuId ?? '');
    if (!menu) notFound();
    else if (!menu.image)
      respond(400, { message: 'must upload richmenu image before applying it to user' });
    else {
      store.defaultId = menu.richMenuId;
      log();
      respond(200, {});
    }
    return true;
  }
  const content = matchPath('/v2/bot/richmenu/:richMenuId/content', path);
  if (content) {
    const menu = store.menus.get(content.richMenuId ?? '');
    if (method === 'GET') {
      if (!menu?.image) notFound();
      else if (!res.headersSent) {
        res.writeHead(200, { 'content-type': menu.image.contentType });
        res.end(menu.image.data);
      }
      return true;
    }
    if (method !== 'POST') {
      respond(405, { message: 'Method Not Allowed' });
      return true;
    }
    const contentType = String(req.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim();
    let data: Buffer;
    try {
      data = await readBody(req, MAX_IMAGE_BYTES);
    } catch (err) {
      if (!(err instanceof PayloadTooLargeError)) throw err;
      respond(413, { message: 'Request Entity Too Large' });
      return true;
    }
    if (!menu) notFound();
    else if (menu.image)
      respond(400, { message: 'An image has already been uploaded to the richmenu' });
    else if (contentType !== 'image/png' && contentType !== 'image/jpeg')
      respond(415, { message: `The content type, '${contentType}', is not supported` });
    else {
      const size = contentType === 'image/png' ? pngSize(data) : menu.size;
      if (!size || size.width !== menu.size.width || size.height !== menu.size.height) {
        respond(400, { message: 'The image size does not match the rich menu size' });
        return true;
      }
      menu.image = { data, contentType };
      log({ contentType, bytes: data.length });
      respond(200, {});
    }
    return true;
  }
  const one = matchPath('/v2/bot/richmenu/:richMenuId', path);
  if (one) {
    const menu = store.menus.get(one.richMenuId ?? '');
    if (method === 'GET') {
      if (!menu) notFound();
      else respond(200, publicMenu(menu));
    } else if (method === 'DELETE') {
      if (!menu) notFound();
      else {
        store.menus.delete(menu.richMenuId);
        if (store.defaultId === menu.richMenuId) store.defaultId = undefined;
        log();
        respond(200, {});
      }
    } else respond(405, { message: 'Method Not Allowed' });
    return true;
  }
  respond(404, { message: 'Not found' });
  return true;
}
