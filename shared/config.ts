// Configuration helpers shared by the three services: every service validates its environment once at
// start-up with zod and gets a frozen, typed object back.
import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { ServiceError } from './errors.ts';

export type Environment = Readonly<Record<string, string | undefined>>;

/** Thrown when the environment is invalid; the message names each offending variable. */
export class ConfigError extends ServiceError {
  override name = 'ConfigError';
  constructor(message: string) {
    // Written for the operator who set the variable, so shown to them; never reaches a web user.
    super('config_invalid', message, { status: 500, expose: true });
  }
}

/** Parses `env` with `schema`, turning zod issues into one readable message. */
export function parseEnvironment<Schema extends z.ZodType>(
  schema: Schema,
  env: Environment,
): z.output<Schema> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map(
      (issue) => `  ${issue.path.join('.') || '(environment)'}: ${issue.message}`,
    );
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return result.data;
}

export const portSchema = z.coerce.number().int().min(0).max(65535);

export const urlSchema = z.url({ protocol: /^https?$/ }).transform((value) => value.replace(/\/+$/, ''));

export const booleanSchema = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

export const logLevelSchema = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** The folder that holds the SQLite files by default: `DATA_DIR`, else `./data` below the repository. */
export function dataDirectory(env: Environment): string {
  return path.resolve(env.DATA_DIR ?? path.join(import.meta.dirname, '..', 'data'));
}

/**
 * Refuses development defaults in production: a value equal to its documented development default
 * (or an http:// public URL) must not reach a production deployment.
 */
export function refuseDevelopmentDefaults(
  env: Environment,
  checks: ReadonlyArray<{ variable: string; value: string; developmentDefault: string }>,
): void {
  if (env.NODE_ENV !== 'production') return;
  const offending = checks.filter((check) => check.value === check.developmentDefault);
  if (offending.length > 0) {
    const names = offending.map((check) => check.variable).join(', ');
    throw new ConfigError(`NODE_ENV=production refuses development defaults; set ${names}`);
  }
}

export function freeze<T extends object>(value: T): Readonly<T> {
  return Object.freeze(value);
}

/**
 * The address a service listens on: `LISTEN_HOST` (an IP address or `localhost`), else loopback only
 * outside production, since `npm start` serves development secrets, seeded personas and the mock's
 * control API, and every interface in production, where a proxy or container network reaches it.
 */
export function listenHost(env: Environment): string {
  const host = env.LISTEN_HOST?.trim();
  if (host === undefined || host === '') return env.NODE_ENV === 'production' ? '0.0.0.0' : '127.0.0.1';
  if (host !== 'localhost' && isIP(host) === 0)
    throw new ConfigError(
      `Invalid configuration:\n  LISTEN_HOST: must be an IP address or localhost, got "${host}"`,
    );
  return host;
}
