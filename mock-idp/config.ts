// Configuration of the mock NHSmail IdP, validated once at start-up.
import path from 'node:path';
import { z } from 'zod';
import { brokerUpstreamClient, developmentControlToken } from '../seeds/clients.ts';
import { mockTenantId } from '../seeds/personas.ts';
import {
  booleanSchema,
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

export type Skin = 'guide' | 'entra';

export interface MockIdpConfig {
  port: number;
  /** The address to listen on (LISTEN_HOST; loopback unless NODE_ENV=production). */
  host: string;
  /** Public base URL, e.g. http://localhost:3001; the issuer is `<baseUrl>/<tenantId>/v2.0`. */
  baseUrl: string;
  tenantId: string;
  issuer: string;
  database: { url: string | undefined; sqliteFile: string };
  controlToken: string;
  skin: Skin;
  trainerMode: boolean;
  lockout: { threshold: number; durationSeconds: number };
  /** Delay applied by the `slow` scenario before the token endpoint answers. */
  slowResponseMs: number;
  brokerClient: {
    clientId: string;
    secret: string;
    redirectUris: string[];
    postLogoutRedirectUris: string[];
    /** Loaded in an iframe when the user signs out here (Entra's front-channel logout URL). */
    frontchannelLogoutUri: string | undefined;
  };
  logLevel: string;
  /** Believe X-Forwarded-* headers (behind a TLS-terminating proxy). */
  /** The proxies whose X-Forwarded-* headers are believed; none by default. */
  trustProxy: TrustedProxies;
  /** How often the mock checks the client registry version (a change drops its client cache). */
  clientRefreshMs: number;
  /** Bearer token for GET /metrics; no token, no metrics endpoint. */
  metricsToken: string | undefined;
  secureCookies: boolean;
}

const schema = z.object({
  MOCK_IDP_PORT: portSchema.default(3001),
  MOCK_IDP_URL: urlSchema.optional(),
  MOCK_TENANT_ID: z.uuid({ message: 'must be a GUID' }).default(mockTenantId),
  MOCK_IDP_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  MOCK_CONTROL_TOKEN: z.string().min(16, 'must be at least 16 characters').default(developmentControlToken),
  MOCK_SKIN: z.enum(['guide', 'entra']).default('guide'),
  MOCK_TRAINER_MODE: booleanSchema.default(true),
  MOCK_LOCKOUT_THRESHOLD: z.coerce.number().int().min(1).max(1000).default(10),
  MOCK_LOCKOUT_MINUTES: z.coerce.number().min(0.01).max(100000).default(30),
  MOCK_SLOW_RESPONSE_MS: z.coerce.number().int().min(0).max(600000).default(15000),
  MOCK_BROKER_CLIENT_ID: z.string().min(1).default(brokerUpstreamClient.clientId),
  MOCK_BROKER_CLIENT_SECRET: z.string().min(16).default(brokerUpstreamClient.developmentSecret),
  MOCK_BROKER_REDIRECT_URIS: z.string().default(`http://localhost:3000${brokerUpstreamClient.redirectPath}`),
  MOCK_BROKER_POST_LOGOUT_REDIRECT_URIS: z
    .string()
    .default('http://localhost:3000/,http://localhost:3000/upstream/signed-out'),
  // Empty turns it off.
  MOCK_BROKER_FRONTCHANNEL_LOGOUT_URI: z
    .union([urlSchema, z.literal('')])
    .default('http://localhost:3000/upstream/frontchannel-logout'),
  LOG_LEVEL: logLevelSchema.default('info'),
  TRUST_PROXY: trustProxySchema,
  MOCK_CLIENT_REFRESH_MS: z.coerce.number().int().min(50).max(60000).default(1000),
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
});

function uriList(value: string, variable: string): string[] {
  const uris = value
    .split(',')
    .map((uri) => uri.trim())
    .filter(Boolean);
  for (const uri of uris) {
    if (!URL.canParse(uri)) throw new Error(`${variable}: not a URL: ${uri}`);
  }
  return uris;
}

export function loadConfig(env: Environment): Readonly<MockIdpConfig> {
  const parsed = parseEnvironment(schema, env);
  refuseDevelopmentDefaults(env, [
    {
      variable: 'MOCK_CONTROL_TOKEN',
      value: parsed.MOCK_CONTROL_TOKEN,
      developmentDefault: developmentControlToken,
    },
    {
      variable: 'MOCK_BROKER_CLIENT_SECRET',
      value: parsed.MOCK_BROKER_CLIENT_SECRET,
      developmentDefault: brokerUpstreamClient.developmentSecret,
    },
  ]);
  const baseUrl = parsed.MOCK_IDP_URL ?? `http://localhost:${parsed.MOCK_IDP_PORT}`;
  return freeze({
    port: parsed.MOCK_IDP_PORT,
    host: listenHost(env),
    baseUrl,
    tenantId: parsed.MOCK_TENANT_ID,
    issuer: `${baseUrl}/${parsed.MOCK_TENANT_ID}/v2.0`,
    database: {
      url: parsed.MOCK_IDP_DATABASE_URL,
      sqliteFile: path.join(dataDirectory(env), 'mock-idp.sqlite'),
    },
    controlToken: parsed.MOCK_CONTROL_TOKEN,
    skin: parsed.MOCK_SKIN,
    trainerMode: parsed.MOCK_TRAINER_MODE,
    lockout: {
      threshold: parsed.MOCK_LOCKOUT_THRESHOLD,
      durationSeconds: Math.round(parsed.MOCK_LOCKOUT_MINUTES * 60),
    },
    slowResponseMs: parsed.MOCK_SLOW_RESPONSE_MS,
    brokerClient: {
      clientId: parsed.MOCK_BROKER_CLIENT_ID,
      secret: parsed.MOCK_BROKER_CLIENT_SECRET,
      redirectUris: uriList(parsed.MOCK_BROKER_REDIRECT_URIS, 'MOCK_BROKER_REDIRECT_URIS'),
      postLogoutRedirectUris: uriList(
        parsed.MOCK_BROKER_POST_LOGOUT_REDIRECT_URIS,
        'MOCK_BROKER_POST_LOGOUT_REDIRECT_URIS',
      ),
      frontchannelLogoutUri: parsed.MOCK_BROKER_FRONTCHANNEL_LOGOUT_URI || undefined,
    },
    logLevel: parsed.LOG_LEVEL,
    trustProxy: parsed.TRUST_PROXY,
    clientRefreshMs: parsed.MOCK_CLIENT_REFRESH_MS,
    metricsToken: parsed.METRICS_TOKEN,
    secureCookies: baseUrl.startsWith('https://'),
  });
}
