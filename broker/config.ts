// Configuration of the CQRS identity broker, validated once at start-up. Production points the upstream
// at the real NHSmail tenant by these variables alone.
import path from 'node:path';
import { z } from 'zod';
import { brokerUpstreamClient, cqrsAppClient } from '../seeds/clients.ts';
import { mockTenantId } from '../seeds/personas.ts';
import {
  booleanSchema,
  ConfigError,
  dataDirectory,
  type Environment,
  freeze,
  listenHost,
  logLevelSchema,
  parseEnvironment,
  portSchema,
  refuseDevelopmentDefaults,
  urlSchema,
} from '../shared/config.ts';
import { type TrustedProxies, trustProxySchema } from '../shared/http/trustedProxies.ts';

export interface HelpDesk {
  email: string;
  phone: string;
  hours: string;
}

export interface BrokerConfig {
  port: number;
  /** The address to listen on (LISTEN_HOST; loopback unless NODE_ENV=production). */
  host: string;
  /** Public issuer URL for downstream apps, e.g. http://localhost:3000. */
  issuer: string;
  database: { url: string | undefined; schema: string | undefined; sqliteFile: string };
  upstream: {
    type: 'entra';
    issuer: string;
    clientId: string;
    clientSecret: string;
    tenantId: string;
    timeoutMs: number;
    jwksCooldownSeconds: number;
    /** How far apart the IdP's clock and ours may be when checking `iat`, `exp` and `nbf`. */
    clockToleranceSeconds: number;
    /** An id_token issued longer ago than this (by its `iat`) is refused. */
    idTokenMaxAgeSeconds: number;
    allowHttp: boolean;
  };
  helpDesk: HelpDesk;
  /** Where the "Home" link of the broker's pages goes (the CQRS app). */
  homeUrl: string;
  /** Base URL of the CQRS app used when seeding its client registration. */
  cqrsAppUrl: string;
  cqrsAppSecret: string;
  logLevel: string;
  /** The proxies whose X-Forwarded-* headers are believed (behind a TLS-terminating proxy); none by default. */
  trustProxy: TrustedProxies;
  /** The key lifecycle (docs/operations.md, "Rotating keys"). */
  keys: {
    /** How often a running instance re-reads the signing and cookie keys. */
    refreshSeconds: number;
    /** How long after `keys rotate` instances start signing with the new key: longer than JWKS caches. */
    activationSeconds: number;
  };
  /** How often a running instance checks the client registry version (a change drops its client cache). */
  clientRefreshMs: number;
  /**
   * How long a sign-in lasts from the moment the user signed in: the broker session, the grant behind
   * an app's tokens and its refresh tokens end then, however often they are used.
   */
  signInLifetimeSeconds: number;
  /** Bearer token for GET /metrics; no token, no metrics endpoint. */
  metricsToken: string | undefined;
  secureCookies: boolean;
  /** Show the "Why this happened (trainer mode)" box on refusal pages; never in production. */
  trainerMode: boolean;
  production: boolean;
  /** Sign-out: back-channel logout delivery, and whether RP-initiated sign-out continues to NHSmail. */
  logout: {
    pollMs: number;
    retryBaseMs: number;
    maxAttempts: number;
    timeoutMs: number;
    upstreamEndSession: boolean;
  };
}

const schema = z.object({
  BROKER_PORT: portSchema.default(3000),
  BROKER_ISSUER: urlSchema.optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/, 'must be a lower-case identifier')
    .optional(),
  UPSTREAM_TYPE: z.enum(['entra']).default('entra'),
  UPSTREAM_ISSUER: urlSchema.default(`http://localhost:3001/${mockTenantId}/v2.0`),
  UPSTREAM_CLIENT_ID: z.string().min(1).default(brokerUpstreamClient.clientId),
  UPSTREAM_CLIENT_SECRET: z
    .string()
    .min(16, 'must be at least 16 characters')
    .default(brokerUpstreamClient.developmentSecret),
  UPSTREAM_TENANT_ID: z.uuid({ message: 'must be a GUID' }).default(mockTenantId),
  UPSTREAM_TIMEOUT_MS: z.coerce.number().int().min(100).max(120000).default(5000),
  UPSTREAM_JWKS_COOLDOWN_SECONDS: z.coerce.number().min(0).max(3600).default(30),
  UPSTREAM_CLOCK_TOLERANCE_SECONDS: z.coerce.number().int().min(0).max(300).default(30),
  UPSTREAM_ID_TOKEN_MAX_AGE_SECONDS: z.coerce.number().int().min(10).max(86400).default(300),
  HELPDESK_EMAIL: z.email().default('support@cqrs.co.uk'),
  HELPDESK_PHONE: z.string().min(1).default('0800 4402777'),
  HELPDESK_HOURS: z.string().min(1).default('8am-6pm Mon-Fri exc Bank Holidays'),
  BROKER_HOME_URL: urlSchema.optional(),
  CQRS_APP_URL: urlSchema.default('http://localhost:3002'),
  CQRS_APP_CLIENT_SECRET: z.string().min(16).default(cqrsAppClient.developmentSecret),
  LOG_LEVEL: logLevelSchema.default('info'),
  TRUST_PROXY: trustProxySchema,
  BROKER_KEY_REFRESH_SECONDS: z.coerce.number().min(0.1).max(60).default(60),
  BROKER_KEY_ACTIVATION_SECONDS: z.coerce
    .number()
    .min(0)
    .max(30 * 24 * 3600)
    .default(24 * 3600),
  BROKER_CLIENT_REFRESH_MS: z.coerce.number().int().min(50).max(60000).default(1000),
  BROKER_SIGN_IN_LIFETIME_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 3600)
    .default(8 * 3600),
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  BROKER_TRAINER_MODE: booleanSchema.optional(),
  UPSTREAM_END_SESSION: booleanSchema.default(true),
  LOGOUT_POLL_MS: z.coerce.number().int().min(50).max(60000).default(1000),
  LOGOUT_RETRY_BASE_MS: z.coerce.number().int().min(10).max(600000).default(2000),
  LOGOUT_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(10),
  LOGOUT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60000).default(5000),
});

export function loadConfig(env: Environment): Readonly<BrokerConfig> {
  const parsed = parseEnvironment(schema, env);
  const production = env.NODE_ENV === 'production';
  refuseDevelopmentDefaults(env, [
    {
      variable: 'UPSTREAM_CLIENT_SECRET',
      value: parsed.UPSTREAM_CLIENT_SECRET,
      developmentDefault: brokerUpstreamClient.developmentSecret,
    },
    {
      variable: 'CQRS_APP_CLIENT_SECRET',
      value: parsed.CQRS_APP_CLIENT_SECRET,
      developmentDefault: cqrsAppClient.developmentSecret,
    },
  ]);
  const issuer = parsed.BROKER_ISSUER ?? `http://localhost:${parsed.BROKER_PORT}`;
  if (production && !issuer.startsWith('https://'))
    throw new ConfigError('BROKER_ISSUER: must be https:// when NODE_ENV=production');
  if (production && !parsed.UPSTREAM_ISSUER.startsWith('https://')) {
    throw new ConfigError('UPSTREAM_ISSUER: must be https:// when NODE_ENV=production');
  }
  const keys = keyLifecycle(parsed);
  // The refusal reason helps trainers and testers; on a live service it would tell an attacker why.
  if (production && parsed.BROKER_TRAINER_MODE === true)
    throw new ConfigError('BROKER_TRAINER_MODE: must be off when NODE_ENV=production');
  return freeze({
    port: parsed.BROKER_PORT,
    host: listenHost(env),
    issuer,
    database: {
      url: parsed.DATABASE_URL,
      schema: parsed.DATABASE_SCHEMA,
      sqliteFile: path.join(dataDirectory(env), 'broker.sqlite'),
    },
    upstream: {
      type: parsed.UPSTREAM_TYPE,
      issuer: parsed.UPSTREAM_ISSUER,
      clientId: parsed.UPSTREAM_CLIENT_ID,
      clientSecret: parsed.UPSTREAM_CLIENT_SECRET,
      tenantId: parsed.UPSTREAM_TENANT_ID,
      timeoutMs: parsed.UPSTREAM_TIMEOUT_MS,
      jwksCooldownSeconds: parsed.UPSTREAM_JWKS_COOLDOWN_SECONDS,
      clockToleranceSeconds: parsed.UPSTREAM_CLOCK_TOLERANCE_SECONDS,
      idTokenMaxAgeSeconds: parsed.UPSTREAM_ID_TOKEN_MAX_AGE_SECONDS,
      allowHttp: !production && parsed.UPSTREAM_ISSUER.startsWith('http://'),
    },
    helpDesk: { email: parsed.HELPDESK_EMAIL, phone: parsed.HELPDESK_PHONE, hours: parsed.HELPDESK_HOURS },
    homeUrl: parsed.BROKER_HOME_URL ?? `${parsed.CQRS_APP_URL}/`,
    cqrsAppUrl: parsed.CQRS_APP_URL,
    cqrsAppSecret: parsed.CQRS_APP_CLIENT_SECRET,
    logLevel: parsed.LOG_LEVEL,
    trustProxy: parsed.TRUST_PROXY,
    keys,
    clientRefreshMs: parsed.BROKER_CLIENT_REFRESH_MS,
    signInLifetimeSeconds: parsed.BROKER_SIGN_IN_LIFETIME_SECONDS,
    metricsToken: parsed.METRICS_TOKEN,
    secureCookies: issuer.startsWith('https://'),
    trainerMode: !production && (parsed.BROKER_TRAINER_MODE ?? true),
    production,
    logout: {
      pollMs: parsed.LOGOUT_POLL_MS,
      retryBaseMs: parsed.LOGOUT_RETRY_BASE_MS,
      maxAttempts: parsed.LOGOUT_MAX_ATTEMPTS,
      timeoutMs: parsed.LOGOUT_TIMEOUT_MS,
      upstreamEndSession: parsed.UPSTREAM_END_SESSION,
    },
  });
}

/**
 * What `cqrs-broker` commands use: the database settings, plus the defaults of the few commands that
 * need one (`accounts link` the tenant id, `seed` the cqrs-app registration, `keys rotate` the key lifecycle). The CLI never signs
 * anyone in, so it neither needs nor asks for the upstream or app client secrets in production.
 */
export type BrokerCliConfig = Pick<
  BrokerConfig,
  'database' | 'production' | 'cqrsAppUrl' | 'cqrsAppSecret' | 'keys' | 'signInLifetimeSeconds'
> & {
  upstream: Pick<BrokerConfig['upstream'], 'tenantId'>;
};

const cliSchema = schema.pick({
  DATABASE_URL: true,
  DATABASE_SCHEMA: true,
  UPSTREAM_TENANT_ID: true,
  CQRS_APP_URL: true,
  CQRS_APP_CLIENT_SECRET: true,
  BROKER_KEY_REFRESH_SECONDS: true,
  BROKER_KEY_ACTIVATION_SECONDS: true,
  BROKER_SIGN_IN_LIFETIME_SECONDS: true,
});

export function loadCliConfig(env: Environment): Readonly<BrokerCliConfig> {
  const parsed = parseEnvironment(cliSchema, env);
  return freeze({
    database: {
      url: parsed.DATABASE_URL,
      schema: parsed.DATABASE_SCHEMA,
      sqliteFile: path.join(dataDirectory(env), 'broker.sqlite'),
    },
    production: env.NODE_ENV === 'production',
    upstream: { tenantId: parsed.UPSTREAM_TENANT_ID },
    cqrsAppUrl: parsed.CQRS_APP_URL,
    cqrsAppSecret: parsed.CQRS_APP_CLIENT_SECRET,
    keys: keyLifecycle(parsed),
    signInLifetimeSeconds: parsed.BROKER_SIGN_IN_LIFETIME_SECONDS,
  });
}

/** The key settings, for the server and for `keys rotate` alike. */
function keyLifecycle(parsed: {
  BROKER_KEY_REFRESH_SECONDS: number;
  BROKER_KEY_ACTIVATION_SECONDS: number;
}): BrokerConfig['keys'] {
  // Every instance must publish a new key before any instance signs with it (docs/operations.md).
  if (parsed.BROKER_KEY_ACTIVATION_SECONDS <= parsed.BROKER_KEY_REFRESH_SECONDS)
    throw new ConfigError(
      'BROKER_KEY_ACTIVATION_SECONDS: must be longer than BROKER_KEY_REFRESH_SECONDS, so that every instance ' +
        'publishes a new key before any signs with it',
    );
  return {
    refreshSeconds: parsed.BROKER_KEY_REFRESH_SECONDS,
    activationSeconds: parsed.BROKER_KEY_ACTIVATION_SECONDS,
  };
}
