// The deployment under test as the checks see it: the command's options, the discovered issuer as an
// openid-client Configuration for the registered client, and everything observed on the way (pages and
// token endpoint responses) for the header checks at the end.
import * as oidc from 'openid-client';
import type { Credentials, Page } from './browser.ts';

export interface ConformanceOptions {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** A redirect URI registered for the client; the checks never load it, they stop at it. */
  redirectUri: string;
  /** A user of a mock upstream, to drive sign-ins: without it, the checks that need tokens skip. */
  credentials?: Credentials;
  scope: string;
  /**
   * A loopback port that the client's registered backchannel_logout_uri reaches: the logout check then
   * also waits there for the logout token. Without it, `logout.backchannel` skips.
   */
  backchannelPort?: number;
}

export interface ObservedResponse {
  url: string;
  status: number;
  headers: Headers;
}

export interface Target {
  options: ConformanceOptions;
  config: oidc.Configuration;
  metadata: oidc.ServerMetadata;
  /** Pages the issuer served to the browser during the checks. */
  pages: Page[];
  /** Responses of the token endpoint during the checks. */
  tokenResponses: ObservedResponse[];
  /** A Configuration for the same client with other credentials (the client authentication checks). */
  configurationWith(clientAuthentication: oidc.ClientAuth): oidc.Configuration;
}

const loopbackHosts = new Set(['localhost', '127.0.0.1', '[::1]']);

export function isLoopback(url: string): boolean {
  return loopbackHosts.has(new URL(url).hostname);
}

/** openid-client refuses http:// unless told; the issuer decides (http is for development only). */
export function allowHttpFor(issuer: string): Array<(config: oidc.Configuration) => void> {
  return new URL(issuer).protocol === 'http:' ? [oidc.allowInsecureRequests] : [];
}

export function createTarget(options: ConformanceOptions, config: oidc.Configuration): Target {
  const metadata = config.serverMetadata();
  const tokenResponses: ObservedResponse[] = [];
  const observe: oidc.CustomFetch = async (url, init) => {
    const response = await fetch(url, init as RequestInit);
    if (url.split('?')[0] === metadata.token_endpoint)
      tokenResponses.push({ url, status: response.status, headers: response.headers });
    return response;
  };
  config[oidc.customFetch] = observe;
  return {
    options,
    config,
    metadata,
    pages: [],
    tokenResponses,
    configurationWith(clientAuthentication) {
      const other = new oidc.Configuration(metadata, options.clientId, undefined, clientAuthentication);
      for (const allow of allowHttpFor(options.issuer)) allow(other);
      other[oidc.customFetch] = observe;
      return other;
    },
  };
}

export interface PendingAuthorization {
  url: URL;
  state: string;
  nonce: string;
  codeVerifier: string;
}

/**
 * A well-formed authorization request for any openid-client configuration: PKCE S256, state and
 * nonce; `parameters` override or add. The test suite's relying party builds its requests with it too.
 */
export async function pkceAuthorizationRequest(
  config: oidc.Configuration,
  redirectUri: string,
  scope: string,
  parameters: Record<string, string> = {},
): Promise<PendingAuthorization> {
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope,
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...parameters,
  });
  return { url, state, nonce, codeVerifier };
}

/** The target's authorization request with its own redirect URI and scope. */
export function authorizationRequest(
  target: Target,
  parameters: Record<string, string> = {},
): Promise<PendingAuthorization> {
  return pkceAuthorizationRequest(
    target.config,
    target.options.redirectUri,
    target.options.scope,
    parameters,
  );
}

/** Whether `url` is the client's redirect URI (what the browser would load next). */
export function isRedirectUri(target: Target, url: URL): boolean {
  return `${url.origin}${url.pathname}` === target.options.redirectUri.split('?')[0];
}
