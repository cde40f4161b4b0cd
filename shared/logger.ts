// Structured logging with pino. Secrets and tokens are redacted by path, and errors are reduced to
// their type, code and message: no stack trace and no attached payload (claims, response bodies)
// reaches a log line, whatever a caller passes in.
import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger };

const redactedPaths = [
  'password',
  '*.password',
  'secret',
  '*.secret',
  'client_secret',
  '*.client_secret',
  'token',
  '*.token',
  '*.access_token',
  '*.refresh_token',
  '*.id_token',
  '*.code',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

interface ErrorSummary {
  type: string;
  message: string;
  code?: string;
  status?: number;
  cause?: ErrorSummary;
}

/** What a log line may say about an error: enough to find it, nothing it carries. */
export function summariseError(value: unknown, depth = 0): ErrorSummary | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object') return { type: typeof value, message: String(value).slice(0, 200) };
  const error = value as {
    name?: unknown;
    message?: unknown;
    code?: unknown;
    status?: unknown;
    cause?: unknown;
  };
  const summary: ErrorSummary = {
    type: typeof error.name === 'string' ? error.name : (value.constructor?.name ?? 'Object'),
    message: typeof error.message === 'string' ? error.message.slice(0, 300) : '',
  };
  if (typeof error.code === 'string') summary.code = error.code;
  if (typeof error.status === 'number') summary.status = error.status;
  const cause = depth < 3 ? summariseError(error.cause, depth + 1) : undefined;
  if (cause) summary.cause = cause;
  return summary;
}

export function createLogger(service: string, level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      name: service,
      level,
      redact: { paths: redactedPaths, censor: '[redacted]' },
      base: { service },
      serializers: { err: summariseError },
    },
    destination,
  );
}
