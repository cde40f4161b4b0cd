// The one error family of the three services and both CLIs. The code that decides throws a
// ServiceError; one middleware per service (shared/http/errors.ts) turns it into a page or a JSON
// answer, and a CLI prints it by asking `expose`, never by keeping a list of "expected" errors.
//
//   status   the HTTP status it stands for (a CLI maps it to an exit code)
//   code     a stable, machine-readable code (`no_account`, `not_found`, `database_unavailable`…),
//            used in audit events, metrics labels, JSON answers and tests
//   expose   whether `message` is written for the person who caused it (a user, a tester, an
//            administrator); otherwise they see generic text and the correlation id only

export interface ServiceErrorOptions {
  status?: number;
  expose?: boolean;
  cause?: unknown;
}

export class ServiceError extends Error {
  override name = 'ServiceError';
  readonly status: number;
  readonly code: string;
  readonly expose: boolean;

  constructor(code: string, message: string, options: ServiceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status ?? 400;
    // Koa's rule: client errors are exposed unless said otherwise, server errors never.
    this.expose = options.expose ?? this.status < 500;
  }
}

/** A 404 for a named thing (an account, a client, a key) that does not exist. */
export class NotFoundError extends ServiceError {
  override name = 'NotFoundError';
  constructor(message: string, code = 'not_found') {
    super(code, message, { status: 404 });
  }
}

/** A 409: the thing already exists, or the change conflicts with its current state. */
export class ConflictError extends ServiceError {
  override name = 'ConflictError';
  constructor(message: string, code = 'conflict') {
    super(code, message, { status: 409 });
  }
}

/**
 * The database did not answer: 503 with Retry-After, a "service unavailable" page or a JSON error.
 * Never exposed: the cause (a connection string, a query) stays in the log.
 */
export class DatabaseUnavailableError extends ServiceError {
  override name = 'DatabaseUnavailableError';
  constructor(cause?: unknown) {
    super('database_unavailable', 'the database is not answering', { status: 503, expose: false, cause });
  }
}

export function isServiceError(value: unknown): value is ServiceError {
  return value instanceof ServiceError;
}
