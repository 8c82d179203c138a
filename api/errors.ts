import type { ErrorRequestHandler, RequestHandler } from 'express';
import { httpStatusOf, isBusinessError, type BusinessError } from '../domain/errors';
import type { Logger } from '../lib/logger';

/** An error whose message is safe to show the client. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/**
 * A BusinessError as the client sees it: its status (domain/errors.ts HTTP_STATUS), code and
 * message, and the offending field when there is one. The one place routes' business errors
 * become HTTP: routes let them propagate.
 */
export function businessErrorAsHttp(err: BusinessError): HttpError {
  return new HttpError(httpStatusOf(err.code), err.code, err.message, {
    ...(err.details.field ? { field: err.details.field } : {}),
  });
}

export const notFound: RequestHandler = (req, res) => {
  res.status(404).json({ error: 'not found', error_code: 'NOT_FOUND', path: req.path });
};

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (thrown: unknown, _req, res, _next) => {
    const err = isBusinessError(thrown) ? businessErrorAsHttp(thrown) : thrown;
    if (err instanceof HttpError) {
      res.status(err.status).json({ error: err.message, error_code: err.code, ...err.details });
      return;
    }
    const e = err as { type?: string; status?: number; message?: string };
    // body-parser errors (malformed JSON, too large) carry a 4xx status and a type.
    if (e.type === 'entity.parse.failed') {
      res.status(400).json({ error: 'malformed JSON body', error_code: 'INVALID_INPUT' });
      return;
    }
    if (e.type === 'entity.too.large') {
      res.status(413).json({ error: 'request body too large', error_code: 'INVALID_INPUT' });
      return;
    }
    logger.error({ err: { name: (err as Error).name, message: e.message } }, 'unhandled error');
    res.status(500).json({ error: 'internal error', error_code: 'SYSTEM_ERROR' });
  };
}
