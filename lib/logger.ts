import type {
  Logger as TemporalLogger,
  LogLevel as TemporalLogLevel,
  LogMetadata,
} from '@temporalio/common';
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

type SdkLogLevel = TemporalLogLevel;

const SDK_LEVEL_RANK: Record<SdkLogLevel, number> = {
  TRACE: 0,
  DEBUG: 1,
  INFO: 2,
  WARN: 3,
  ERROR: 4,
};

/** The SDK's own log levels, from ours: its INFO is one line per worker state change. */
export function sdkLogLevel(level: string): SdkLogLevel {
  if (level === 'debug' || level === 'trace') return 'DEBUG';
  if (level === 'info' || level === 'warn') return 'WARN';
  return 'ERROR';
}

/**
 * The Temporal SDK's Runtime logger, written through pino. Workflow code logs with `log` from
 * @temporalio/workflow (replay-safe: the SDK drops calls made while a workflow replays) and
 * activities with their context logger; both reach the Runtime's logger, whose default prints
 * its own text format to stderr. Routed here they become JSON lines like the rest of the process
 * (same redaction, pretty in development), at the process's LOG_LEVEL. The SDK's own messages
 * (sdkComponent `worker` or `core`) are held to `sdkLevel`, so LOG_LEVEL=info does not print a
 * line per worker state change.
 */
export function temporalRuntimeLogger(logger: Logger, sdkLevel: SdkLogLevel): TemporalLogger {
  const write = (level: SdkLogLevel, message: string, meta?: LogMetadata): void => {
    const component: unknown = meta?.sdkComponent;
    const fromOurCode = component === 'workflow' || component === 'activity';
    if (!fromOurCode && SDK_LEVEL_RANK[level] < SDK_LEVEL_RANK[sdkLevel]) return;
    const fields = meta ? { ...meta } : {};
    switch (level) {
      case 'TRACE':
        return logger.trace(fields, message);
      case 'DEBUG':
        return logger.debug(fields, message);
      case 'INFO':
        return logger.info(fields, message);
      case 'WARN':
        return logger.warn(fields, message);
      case 'ERROR':
        return logger.error(fields, message);
    }
  };
  return {
    log: write,
    trace: (message, meta) => write('TRACE', message, meta),
    debug: (message, meta) => write('DEBUG', message, meta),
    info: (message, meta) => write('INFO', message, meta),
    warn: (message, meta) => write('WARN', message, meta),
    error: (message, meta) => write('ERROR', message, meta),
  };
}
