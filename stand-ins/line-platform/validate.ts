import { isRecord } from '../http-kit';

/** Request validation and error bodies of the Messaging API, worded as LINE words them. */

const MESSAGE_TYPES = new Set([
  'text',
  'textV2',
  'sticker',
  'image',
  'video',
  'audio',
  'location',
  'imagemap',
  'template',
  'flex',
]);

export interface Detail {
  message: string;
  property: string;
}

export function defaultErrorBody(status: number): unknown {
  switch (status) {
    case 400:
      return { message: 'Bad Request' };
    case 401:
      return {
        message:
          'Authentication failed due to the following reason: invalid token. Confirm that the access token in the authorization header is valid.',
      };
    case 403:
      return { message: 'Access to this API is not available for your account' };
    case 404:
      return { message: 'Not found' };
    case 429:
      return { message: 'The API rate limit has been exceeded. Try again later.' };
    default:
      return status >= 500 ? { message: 'Internal server error' } : { message: `Error ${status}` };
  }
}

export function validationError(details: Detail[]): unknown {
  return { message: `The request body has ${details.length} error(s)`, details };
}

/** LINE's checks of `messages` (1..5 message objects of known types, with their required fields). */
export function validateMessages(messages: unknown, httpsOnly: boolean): Detail[] {
  if (messages === undefined || messages === null) {
    return [{ message: 'must be specified', property: 'messages' }];
  }
  if (!Array.isArray(messages)) {
    return [{ message: 'must be an array', property: 'messages' }];
  }
  if (messages.length < 1 || messages.length > 5) {
    return [{ message: 'Size must be between 1 and 5', property: 'messages' }];
  }
  const details: Detail[] = [];
  messages.forEach((m: unknown, i) => {
    const at = `messages[${i}]`;
    if (!isRecord(m)) {
      details.push({ message: 'must be an object', property: at });
      return;
    }
    if (typeof m.type !== 'string' || !m.type) {
      details.push({ message: 'must be specified', property: `${at}.type` });
      return;
    }
    if (!MESSAGE_TYPES.has(m.type)) {
      details.push({
        message: `Invalid message type '${m.type}'`,
        property: `${at}.type`,
      });
      return;
    }
    const url = (prop: string, max: number) => {
      const v = m[prop];
      if (typeof v !== 'string' || !v) {
        details.push({ message: 'must be specified', property: `${at}.${prop}` });
      } else if (v.length > max) {
        details.push({
          message: `Length must be between 0 and ${max}`,
          property: `${at}.${prop}`,
        });
      } else if (!/^https?:\/\//.test(v) || (httpsOnly && !v.startsWith('https://'))) {
        details.push({ message: 'must be non-empty HTTPS URL', property: `${at}.${prop}` });
      }
    };
    const text = (prop: string, max: number) => {
      const v = m[prop];
      if (typeof v !== 'string' || !v) {
        details.push({ message: 'must be specified', property: `${at}.${prop}` });
      } else if (v.length > max) {
        details.push({
          message: `Length must be between 0 and ${max}`,
          property: `${at}.${prop}`,
        });
      }
    };
    switch (m.type) {
      case 'text':
      case 'textV2':
        text('text', 5000);
        break;
      case 'image':
        url('originalContentUrl', 2000);
        url('previewImageUrl', 2000);
        break;
      case 'video':
        url('originalContentUrl', 2000);
        url('previewImageUrl', 2000);
        break;
      case 'audio':
        url('originalContentUrl', 2000);
        break;
      case 'sticker':
        text('packageId', 100);
        text('stickerId', 100);
        break;
      case 'flex':
        text('altText', 1500);
        if (!isRecord(m.contents)) {
          details.push({ message: 'must be specified', property: `${at}.contents` });
        }
        break;
      case 'template':
        text('altText', 400);
        if (!isRecord(m.template)) {
          details.push({ message: 'must be specified', property: `${at}.template` });
        }
        break;
      default:
        break;
    }
    if (m.quickReply !== undefined) {
      const items = isRecord(m.quickReply) ? m.quickReply.items : undefined;
      if (!Array.isArray(items) || items.length < 1 || items.length > 13) {
        details.push({
          message: 'Size must be between 1 and 13',
          property: `${at}.quickReply.items`,
        });
      }
    }
  });
  return details;
}
