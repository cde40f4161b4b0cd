// A downstream app as a certified client would be: an unmodified openid-client v6 relying party of the
// broker, registered straight in the broker database, with the browser part driven by HttpSession and
// stopped at the redirect URI so the test reads the authorization response itself.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ClientMetadata } from 'oidc-provider';
import * as oidc from 'openid-client';
import { seededPassword } from '../../seeds/personas.ts';
import { addClient } from '../../shared/oidc/clientStore.ts';
import { HttpSession, type Page } from './httpSession.ts';
import { startSystem, type TestSystem } from './system.ts';
import { type PendingAuthorization, pkceAuthorizationRequest } from '../../broker/conformance/target.ts';

export const fullScope = 'openid email profile cqrs offline_access';

/** A loopback server standing in for the app's own host: redirect URIs and back-channel logout land here. */
export interface RelyingPartyHost {
  url: string;
  /** Form bodies POSTed to the host (back-channel logout requests), oldest first. */
  posts: Array<{ path: string; body: URLSearchParams }>;
  /** Resolves with the next POST to `path`. */
  nextPost(path: string): Promise<URLSearchParams>;
  close(): Promise<void>;
}

export async function startRelyingPartyHost(): Promise<RelyingPartyHost> {
  const posts: RelyingPartyHost['posts'] = [];
  const waiting: Array<{ path: string; resolve: (body: URLSearchParams) => void }> = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = new URL(request.url ?? '/', 'http://host').pathname;
      if (request.method === 'POST') {
        const body = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        posts.push({ path, body });
        for (const waiter of waiting.splice(0).filter((entry) => entry.path === path)) waiter.resolve(body);
      }
      response.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-store' });
      response.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    posts,
    nextPost(path) {
      return new Promise((resolve) => waiting.push({ path, resolve }));
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export interface TestClient {
  clientId: string;
  secret: string;
  redirectUri: string;
  config: oidc.Configuration;
}

/** Discovers the broker as `clientId` would, with client_secret_basic. */
export function discoverBroker(system: TestSystem, clientId: string, secret: string) {
  return oidc.discovery(new URL(system.brokerUrl), clientId, undefined, oidc.ClientSecretBasic(secret), {
    execute: [oidc.allowInsecureRequests],
  });
}

/** Registers a confidential client in the broker database (as the CLI would) and discovers the broker. */
export async function registerClient(
  system: TestSystem,
  host: RelyingPartyHost,
  metadata: Partial<ClientMetadata> = {},
): Promise<TestClient> {
  const clientId = `test-${randomUUID()}`;
  const redirectUri = `${host.url}/${clientId}/callback`;
  const { secret } = await addClient(system.brokerDb, {
    clientId,
    confidential: true,
    metadata: {
      client_name: 'Test relying party',
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      scope: fullScope,
      ...metadata,
    },
  });
  if (!secret) throw new Error('a confidential client gets a secret');
  return { clientId, secret, redirectUri, config: await discoverBroker(system, clientId, secret) };
}

export type { PendingAuthorization };

/** The authorization request openid-client builds: PKCE S256, state and nonce, full scope by default. */
export function authorizationRequest(
  client: TestClient,
  parameters: Record<string, string> = {},
): Promise<PendingAuthorization> {
  return pkceAuthorizationRequest(client.config, client.redirectUri, fullScope, parameters);
}

export interface BrowserOutcome {
  /** The authorization response, when the browser was sent to `stopAt`. */
  callback: URL | undefined;
  /** The page the browser stopped on otherwise. */
  page: Page | undefined;
  /** Whether the NHSmail sign-in form was shown (and filled in) on the way. */
  sawNhsmailLogin: boolean;
}

/**
 * Follows redirects one hop at a time from `url`, filling in the NHSmail sign-in form for `userId`
 * when it appears, and stops before the browser would load anything under `stopAt`.
 */
export async function browse(
  session: HttpSession,
  url: string,
  stopAt: string,
  userId?: string,
): Promise<BrowserOutcome> {
  let response = await session.get(url, { follow: false });
  let sawNhsmailLogin = false;
  for (let hop = 0; hop < 30; hop += 1) {
    const location = response.headers.get('location');
    if (location && response.status >= 300 && response.status < 400) {
      const next = new URL(location, response.url);
      if (next.href.startsWith(stopAt)) return { callback: next, page: undefined, sawNhsmailLogin };
      response = await session.get(next.href, { follow: false });
      continue;
    }
    const isLoginForm = response.$('form:has(input[name=password])').length > 0;
    if (!isLoginForm || userId === undefined || sawNhsmailLogin) {
      return { callback: undefined, page: response, sawNhsmailLogin };
    }
    sawNhsmailLogin = true;
    response = await session.submit(
      response,
      'form:has(input[name=password])',
      { username: userId, password: seededPassword },
      { follow: false },
    );
  }
  throw new Error(`too many hops from ${url}`);
}

/** Runs an authorization in `session` and insists that it ends at the client's redirect URI. */
export async function authorize(
  client: TestClient,
  session: HttpSession,
  userId: string | undefined,
  parameters: Record<string, string> = {},
): Promise<{ pending: PendingAuthorization; callback: URL; sawNhsmailLogin: boolean }> {
  const pending = await authorizationRequest(client, parameters);
  const outcome = await browse(session, pending.url.href, client.redirectUri, userId);
  if (!outcome.callback) {
    const heading = outcome.page?.$('h1').first().text().trim();
    const reference = outcome.page?.$('[data-testid=correlation-id]').text().trim();
    throw new Error(
      `the authorization stopped at ${outcome.page?.url}: "${heading}" (reference ${reference})`,
    );
  }
  return { pending, callback: outcome.callback, sawNhsmailLogin: outcome.sawNhsmailLogin };
}

/** Exchanges an authorization response for tokens, with every check openid-client makes. */
export function redeem(
  client: TestClient,
  callback: URL,
  pending: PendingAuthorization,
): Promise<oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers> {
  return oidc.authorizationCodeGrant(client.config, callback, {
    pkceCodeVerifier: pending.codeVerifier,
    expectedState: pending.state,
    expectedNonce: pending.nonce,
    idTokenExpected: true,
  });
}

/** Signs `userId` in through NHSmail (in a fresh browser unless given one) and redeems the code. */
export async function signIn(
  client: TestClient,
  userId: string,
  options: { session?: HttpSession; parameters?: Record<string, string> } = {},
) {
  const session = options.session ?? new HttpSession();
  const { pending, callback } = await authorize(client, session, userId, options.parameters);
  const tokens = await redeem(client, callback, pending);
  return { session, tokens };
}

/** The OAuth error code a rejected openid-client call carries (`error` of the response body). */
export async function oauthErrorOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof oidc.ResponseBodyError || error instanceof oidc.AuthorizationResponseError)
      return error.error;
    if (error instanceof oidc.WWWAuthenticateChallengeError)
      return String(error.cause[0]?.parameters.error ?? 'challenge');
    throw error;
  }
  throw new Error('expected the call to fail with an OAuth error');
}

export interface RelyingPartyFixture {
  system: TestSystem;
  host: RelyingPartyHost;
  client: TestClient;
  close(): Promise<void>;
}

/** What most issuer tests start with: the services, a loopback host for the app's URIs, one client. */
export async function startRelyingPartyFixture(
  env: Record<string, string> = {},
): Promise<RelyingPartyFixture> {
  // Pages as a live service's users see them: no trainer box naming protocol details.
  const system = await startSystem({ env: { BROKER_TRAINER_MODE: 'false', ...env } });
  const host = await startRelyingPartyHost();
  const client = await registerClient(system, host);
  return {
    system,
    host,
    client,
    async close() {
      await host.close();
      await system.close();
    },
  };
}
