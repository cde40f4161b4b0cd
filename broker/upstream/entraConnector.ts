// The OpenID Connect connector for NHSmail (Microsoft Entra ID v2.0), on openid-client: discovery,
// state, nonce, PKCE S256 and id_token validation; the id_token signature is checked against the
// IdP's JWKS, fetched again once when a token names a key id the cached set lacks.
import { createHash } from 'node:crypto';
import { createRemoteJWKSet, customFetch as joseCustomFetch, errors as joseErrors, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import type { BrokerConfig } from '../config.ts';
import {
  type SignInRequest,
  type StartedSignIn,
  type UpstreamConnector,
  UpstreamError,
  type UpstreamIdentity,
} from './connector.ts';
import { upstreamFetch } from './upstreamFetch.ts';

type UpstreamSettings = BrokerConfig['upstream'];

/** What this connector keeps between the redirect and the callback (opaque to the broker). */
interface EntraPendingData {
  nonce: string;
  codeVerifier: string;
}

function isEntraPendingData(value: unknown): value is EntraPendingData {
  const data = value as Partial<EntraPendingData> | null;
  return typeof data?.nonce === 'string' && typeof data.codeVerifier === 'string';
}

/**
 * RFC 7636 S256: BASE64URL(SHA256(code_verifier)). openid-client's calculatePKCECodeChallenge gives the
 * same value through WebCrypto, whose digest runs on the libuv pool: about 70 µs of the broker's CPU
 * per sign-in in its profile, where a synchronous hash takes a few.
 */
function pkceChallenge(codeVerifier: string): string {
  return createHash('sha256').update(codeVerifier).digest('base64url');
}

const aadstsCode = /AADSTS(\d+)/;

function classifyAuthorizationError(error: string, description: string | undefined): UpstreamError {
  const code = description?.match(aadstsCode)?.[0];
  const reason = code ?? error;
  if (error === 'access_denied' && (code === undefined || code === 'AADSTS65004'))
    return new UpstreamError('cancelled', reason);
  if (error === 'server_error' || error === 'temporarily_unavailable')
    return new UpstreamError('unavailable', reason);
  return new UpstreamError('denied', reason);
}

function isNetworkFailure(error: unknown): boolean {
  const name = (error as { name?: string })?.name;
  const cause = (error as { cause?: { name?: string; code?: string } })?.cause;
  return (
    name === 'TimeoutError' ||
    name === 'AbortError' ||
    (error instanceof TypeError && /fetch failed/i.test(error.message)) ||
    cause?.name === 'TimeoutError' ||
    cause?.name === 'AbortError' ||
    // Socket errors (ECONNREFUSED, ECONNRESET…); openid-client's validation failures also carry a
    // string code on their cause, OAUTH_*, and are not network failures.
    (typeof cause?.code === 'string' && !cause.code.startsWith('OAUTH_'))
  );
}

function classify(error: unknown): UpstreamError {
  if (error instanceof UpstreamError) return error;
  if (error instanceof oidc.AuthorizationResponseError) {
    return classifyAuthorizationError(error.error, error.error_description);
  }
  if (error instanceof oidc.ResponseBodyError) {
    if (error.status >= 500)
      return new UpstreamError('unavailable', `token endpoint ${error.status}`, { cause: error });
    const code = error.error_description?.match(aadstsCode)?.[0];
    return new UpstreamError('denied', code ?? error.error, { cause: error });
  }
  if (isNetworkFailure(error)) return new UpstreamError('unavailable', 'no answer in time', { cause: error });
  const response = (error as { cause?: unknown })?.cause;
  if (response instanceof Response && response.status >= 500) {
    return new UpstreamError('unavailable', `upstream ${response.status}`, { cause: error });
  }
  const code = (error as { code?: string })?.code ?? 'validation_failed';
  return new UpstreamError('invalid_response', code, { cause: error });
}

export class EntraConnector implements UpstreamConnector {
  readonly type = 'entra';
  private readonly settings: UpstreamSettings;
  private configuration: Promise<oidc.Configuration> | undefined;
  private jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  /** The discovered issuer, kept: serverMetadata() copies the whole document on every call. */
  private issuer: string | undefined;

  constructor(settings: UpstreamSettings) {
    this.settings = settings;
  }

  /** Discovery happens on first use and is retried after a failure, so the broker starts without the IdP. */
  private discover(): Promise<oidc.Configuration> {
    this.configuration ??= (async () => {
      const { issuer, clientId, clientSecret, timeoutMs, allowHttp } = this.settings;
      const configuration = await oidc.discovery(
        new URL(issuer),
        clientId,
        {
          id_token_signed_response_alg: 'RS256',
          [oidc.clockTolerance]: this.settings.clockToleranceSeconds,
        },
        oidc.ClientSecretPost(clientSecret),
        // discovery() keeps the timeout and the fetch on the configuration it returns, for every
        // later request (the token endpoint).
        {
          execute: allowHttp ? [oidc.allowInsecureRequests] : [],
          timeout: Math.ceil(timeoutMs / 1000),
          [oidc.customFetch]: upstreamFetch,
        },
      );
      const { jwks_uri: jwksUri, issuer: discoveredIssuer } = configuration.serverMetadata();
      if (!jwksUri) throw new Error('upstream discovery has no jwks_uri');
      this.issuer = discoveredIssuer;
      this.jwks = createRemoteJWKSet(new URL(jwksUri), {
        timeoutDuration: timeoutMs,
        cooldownDuration: this.settings.jwksCooldownSeconds * 1000,
        cacheMaxAge: 10 * 60 * 1000,
        // The same path as discovery and the token request (upstreamFetch.ts).
        [joseCustomFetch]: (url, options) =>
          upstreamFetch(url, { ...options, headers: Object.fromEntries(options.headers), body: undefined }),
      });
      return configuration;
    })();
    this.configuration.catch(() => {
      this.configuration = undefined;
    });
    return this.configuration;
  }

  async ready(): Promise<boolean> {
    return this.discover().then(
      () => true,
      () => false,
    );
  }

  async startSignIn(request: SignInRequest): Promise<StartedSignIn> {
    let configuration: oidc.Configuration;
    try {
      configuration = await this.discover();
    } catch (error) {
      throw new UpstreamError('unavailable', 'discovery failed', { cause: error });
    }
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const { state } = request;
    const nonce = oidc.randomNonce();
    const parameters: Record<string, string> = {
      redirect_uri: request.redirectUri,
      scope: 'openid profile email',
      response_type: 'code',
      response_mode: 'query',
      code_challenge: pkceChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    };
    if (request.forceLogin) parameters.prompt = 'login';
    if (request.loginHint) parameters.login_hint = request.loginHint;
    const connectorData: EntraPendingData = { nonce, codeVerifier };
    return { url: oidc.buildAuthorizationUrl(configuration, parameters), connectorData };
  }

  /**
   * openid-client checks `exp` but not how fresh the token is: a token "issued" in the future, or long
   * ago, is refused. The code was just redeemed, so a genuine id_token is seconds old.
   */
  private checkIssuedAt(issuedAt: unknown): void {
    if (typeof issuedAt !== 'number') throw new UpstreamError('invalid_response', 'iat_missing');
    const now = Date.now() / 1000;
    const { clockToleranceSeconds, idTokenMaxAgeSeconds } = this.settings;
    if (issuedAt > now + clockToleranceSeconds) throw new UpstreamError('invalid_response', 'iat_in_future');
    if (now - issuedAt > idTokenMaxAgeSeconds + clockToleranceSeconds)
      throw new UpstreamError('invalid_response', 'id_token_too_old');
  }

  async finishSignIn(
    callbackUrl: URL,
    pending: { state: string; connectorData: unknown },
  ): Promise<UpstreamIdentity> {
    const error = callbackUrl.searchParams.get('error');
    if (error)
      throw classifyAuthorizationError(error, callbackUrl.searchParams.get('error_description') ?? undefined);
    const data = pending.connectorData;
    if (!isEntraPendingData(data)) throw new UpstreamError('invalid_response', 'pending_data_invalid');
    try {
      const configuration = await this.discover();
      const tokens = await oidc.authorizationCodeGrant(configuration, callbackUrl, {
        pkceCodeVerifier: data.codeVerifier,
        expectedState: pending.state,
        expectedNonce: data.nonce,
        idTokenExpected: true,
      });
      const idToken = tokens.id_token;
      if (!idToken || !this.jwks || !this.issuer)
        throw new UpstreamError('invalid_response', 'id_token_missing');
      // openid-client trusts the token endpoint's TLS for the id_token; we also verify its signature.
      await jwtVerify(idToken, this.jwks, {
        issuer: this.issuer,
        audience: this.settings.clientId,
        algorithms: ['RS256'],
        clockTolerance: this.settings.clockToleranceSeconds,
      }).catch((cause: unknown) => {
        const reason = cause instanceof joseErrors.JOSEError ? cause.code : 'id_token_invalid';
        throw new UpstreamError('invalid_response', reason, { cause });
      });
      const claims = tokens.claims();
      if (!claims) throw new UpstreamError('invalid_response', 'id_token_missing');
      this.checkIssuedAt(claims.iat);
      const tenantId = typeof claims.tid === 'string' ? claims.tid : '';
      const objectId = typeof claims.oid === 'string' ? claims.oid : '';
      if (tenantId !== this.settings.tenantId)
        throw new UpstreamError('invalid_response', 'tenant_not_allowed');
      if (!objectId) throw new UpstreamError('invalid_response', 'oid_missing');
      // Microsoft: never authorise on preferred_username or upn; the gate matches on `email` alone.
      const email = typeof claims.email === 'string' ? claims.email : undefined;
      const emailDomainVerified = typeof claims.xms_edov === 'boolean' ? claims.xms_edov : undefined;
      return {
        tenantId,
        objectId,
        email: email?.toLowerCase(),
        emailDomainVerified,
        name: typeof claims.name === 'string' ? claims.name : undefined,
        sessionId: typeof claims.sid === 'string' ? claims.sid : undefined,
        issuer: claims.iss,
        loginHint: typeof claims.login_hint === 'string' ? claims.login_hint : undefined,
      };
    } catch (caught) {
      throw classify(caught);
    }
  }
}
