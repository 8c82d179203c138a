/**
 * Errors meant for people, not for debuggers: the message says what is wrong and what to
 * do, and the stack is reduced to that message so that jest and the CLI print no trace.
 */
export class InfraError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InfraError';
    this.stack = `${this.name}: ${message}`;
  }
}

export function isInfraError(error: unknown): error is InfraError {
  return error instanceof Error && error.name === 'InfraError';
}

export function errorMessage(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return error.errors.map(errorMessage).join('; ');
  }
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    const text = error.message || error.name;
    const own = code && !text.includes(code) ? `${code}: ${text}` : text;
    // fetch() says only "fetch failed"; the reason is in `cause`.
    return error.cause !== undefined ? `${own} (${errorMessage(error.cause)})` : own;
  }
  return String(error);
}
