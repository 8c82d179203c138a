import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Structured JSON logs. Personal data (message text, prompts, GPS) and secrets must never be
 * logged; the redaction list is a safety net for common field names, not a licence to log them.
 */
export const REDACTED_PATHS = [
  'text',
  '*.text',
  'message.text',
  'content',
  '*.content',
  'prompt',
  '*.prompt',
  'messages',
  '*.messages',
  'gps',
  '*.gps',
  'latitude',
  'longitude',
  '*.latitude',
  '*.longitude',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers["x-line-signature"]',
  'req.headers["stripe-signature"]',
  'token',
  '*.token',
  'replyToken',
  '*.replyToken',
  'secret',
  '*.secret',
  'apiKey',
  '*.apiKey',
];

export function createLogger(
  level: string = process.env.LOG_LEVEL ?? 'info',
  name?: string,
): Logger {
  return pino({
    name,
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    base: { pid: process.pid },
  });
}
