// Configuration of the CQRS app stand-in, validated once at start-up.
import path from 'node:path';
import { z } from 'zod';
import { cqrsAppClient } from '../seeds/clients.ts';
import {
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

export interface CqrsAppConfig {
  port: number;
  /** The address to listen on (LISTEN_HOST; loopback unless NODE_ENV=production). */
  host: string;
  baseUrl: string;
  brokerIssuer: string;
  clientId: string;
  clientSecret: string;
  database: { url: string | undefined; sqliteFile: string };
  logLevel: string;
  /** Believe X-Forwarded-* headers (behind a TLS-terminating proxy). */
  /** The proxies whose X-Forwarded-* headers are believed; none by default. */
  trustProxy: TrustedProxies;
  /** Bearer token for GET /metrics; no token, no metrics endpoint. */
  metricsToken: string | undefined;
  secureCookies: boolean;
  allowHttp: boolean;
}

const schema = z.object({
  CQRS_APP_PORT: portSchema.default(3002),
  CQRS_APP_URL: urlSchema.optional(),
  BROKER_ISSUER: urlSchema.default('http://localhost:3000'),
  CQRS_APP_CLIENT_ID: z.string().min(1).default(cqrsAppClient.clientId),
  CQRS_APP_CLIENT_SECRET: z.string().min(16).default(cqrsAppClient.developmentSecret),
  CQRS_APP_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  LOG_LEVEL: logLevelSchema.default('info'),
  TRUST_PROXY: trustProxySchema,
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
});

export function loadConfig(env: Environment): Readonly<CqrsAppConfig> {
  const parsed = parseEnvironment(schema, env);
  refuseDevelopmentDefaults(env, [
    {
      variable: 'CQRS_APP_CLIENT_SECRET',
      value: parsed.CQRS_APP_CLIENT_SECRET,
      developmentDefault: cqrsAppClient.developmentSecret,
    },
  ]);
  const baseUrl = parsed.CQRS_APP_URL ?? `http://localhost:${parsed.CQRS_APP_PORT}`;
  return freeze({
    port: parsed.CQRS_APP_PORT,
    host: listenHost(env),
    baseUrl,
    brokerIssuer: parsed.BROKER_ISSUER,
    clientId: parsed.CQRS_APP_CLIENT_ID,
    clientSecret: parsed.CQRS_APP_CLIENT_SECRET,
    database: {
      url: parsed.CQRS_APP_DATABASE_URL,
      sqliteFile: path.join(dataDirectory(env), 'cqrs-app.sqlite'),
    },
    logLevel: parsed.LOG_LEVEL,
    trustProxy: parsed.TRUST_PROXY,
    metricsToken: parsed.METRICS_TOKEN,
    secureCookies: baseUrl.startsWith('https://'),
    allowHttp: env.NODE_ENV !== 'production' && parsed.BROKER_ISSUER.startsWith('http://'),
  });
}
