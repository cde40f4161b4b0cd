// Structured logging with pino. Secrets and tokens are redacted by path, authorization codes where
// they occur (query strings, token request bodies), and errors are reduced to their type, code and
// message: no stack trace and no attached payload (claims, response bodies) reaches a log line,
// whatever a caller passes in. Error codes (`err.code`, `ERR_JWS_…`) stay visible.
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
  // Authorization codes in a parsed token request or callback query; never a field merely named `code`.
  'body.code',
  '*.body.code',
  'query.code',
  '*.query.code',
  'form.code',
  '*.form.code',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

/** Query parameters whose values are secrets wherever a URL or query string is logged. */
const secretParameters =
  /([?&#](?:code|code_verifier|state|id_token|id_token_hint|access_token|refresh_token|token|logout_token|client_secret|password)=)[^&#\s"']*/gi;

function scrubString(value: string): string {
  return value.includes('=') ? value.replace(secretParameters, '$1[redacted]') : value;
}

/** Scrubs URLs and query strings anywhere in a log object (a few levels deep; objects are small). */
function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubString(value);
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => scrub(item, depth + 1));
  if (value instanceof Error) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[key] = scrub(item, depth + 1);
  return copy;
}

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
    message: typeof error.message === 'string' ? scrubString(error.message.slice(0, 300)) : '',
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
      formatters: { log: (object) => scrub(object) as Record<string, unknown> },
      hooks: {
        logMethod(parameters, method) {
          method.apply(
            this,
            parameters.map((parameter) =>
              typeof parameter === 'string' ? scrubString(parameter) : parameter,
            ) as [string],
          );
        },
      },
    },
    destination,
  );
}
