// Structured logging with pino. Secrets and tokens are redacted by path so that no log line can carry
// them, whatever a caller passes in.
import { pino, type Logger } from 'pino';

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

export function createLogger(service: string, level: string): Logger {
  return pino({
    name: service,
    level,
    redact: { paths: redactedPaths, censor: '[redacted]' },
    base: { service },
  });
}
