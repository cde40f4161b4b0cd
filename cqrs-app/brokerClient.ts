// The CQRS app's OpenID Connect client of the broker, on openid-client: the reference integration for
// downstream teams (authorization code + PKCE, state and nonce, userinfo, refresh, RP-initiated logout
// and back-channel logout tokens).
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import type { CqrsAppConfig } from './config.ts';

export const requestedScope = 'openid email profile cqrs offline_access';
const refreshGraceMs = 60_000;

export interface Organisation {
  ods_code: string;
  name: string;
  type: string;
  roles: string[];
}

export interface SignedInUser {
  sub: string;
  sid: string | undefined;
  name: string;
  email: string;
  organisations: Organisation[];
}

export interface TokenSet {
  accessToken: string;
  refreshToken: string | undefined;
  idToken: string;
  expiresAt: number;
}

export interface PendingLogin {
  state: string;
  nonce: string;
  codeVerifier: string;
}

export class BrokerClient {
  private readonly config: CqrsAppConfig;
  private configuration: Promise<oidc.Configuration> | undefined;
  private jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  /** Refreshes in flight or just done, by the refresh token they redeemed. */
  private readonly refreshes = new Map<string, Promise<TokenSet>>();

  constructor(config: CqrsAppConfig) {
    this.config = config;
  }

  get redirectUri(): string {
    return `${this.config.baseUrl}/auth/callback`;
  }

  private discover(): Promise<oidc.Configuration> {
    this.configuration ??= oidc
      .discovery(
        new URL(this.config.brokerIssuer),
        this.config.clientId,
        undefined,
        oidc.ClientSecretBasic(this.config.clientSecret),
        { execute: this.config.allowHttp ? [oidc.allowInsecureRequests] : [], timeout: 10 },
      )
      .then((configuration) => {
        const jwksUri = configuration.serverMetadata().jwks_uri;
        if (jwksUri) this.jwks = createRemoteJWKSet(new URL(jwksUri));
        return configuration;
      });
    this.configuration.catch(() => {
      this.configuration = undefined;
    });
    return this.configuration;
  }

  async startLogin(options: { prompt?: string } = {}): Promise<{ url: URL; pending: PendingLogin }> {
    const configuration = await this.discover();
    const pending = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      codeVerifier: oidc.randomPKCECodeVerifier(),
    };
    const parameters: Record<string, string> = {
      redirect_uri: this.redirectUri,
      scope: requestedScope,
      code_challenge: await oidc.calculatePKCECodeChallenge(pending.codeVerifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
    };
    if (options.prompt) parameters.prompt = options.prompt;
    return { url: oidc.buildAuthorizationUrl(configuration, parameters), pending };
  }

  async finishLogin(
    currentUrl: URL,
    pending: PendingLogin,
  ): Promise<{ user: SignedInUser; tokens: TokenSet }> {
    const configuration = await this.discover();
    const response = await oidc.authorizationCodeGrant(configuration, currentUrl, {
      pkceCodeVerifier: pending.codeVerifier,
      expectedState: pending.state,
      expectedNonce: pending.nonce,
      idTokenExpected: true,
    });
    const claims = response.claims();
    if (!claims) throw new Error('the broker returned no id_token');
    const userinfo = await oidc.fetchUserInfo(configuration, response.access_token, claims.sub);
    return {
      user: {
        sub: claims.sub,
        sid: typeof claims.sid === 'string' ? claims.sid : undefined,
        name: String(userinfo.name ?? ''),
        email: String(userinfo.email ?? ''),
        organisations: Array.isArray(userinfo.organisations)
          ? (userinfo.organisations as unknown as Organisation[])
          : [],
      },
      tokens: this.tokenSet(response, undefined),
    };
  }

  /**
   * Uses the refresh token; the broker rotates it, so the new one replaces the old. The broker treats a
   * second use of a refresh token as theft and revokes the grant, so requests of one session that find
   * the access token expired together share one refresh, and for a minute afterwards a request that
   * read the session before the rotation was saved gets the same result instead of reusing the token.
   */
  refresh(tokens: TokenSet): Promise<TokenSet> {
    const refreshToken = tokens.refreshToken;
    if (!refreshToken) return Promise.reject(new Error('no refresh token'));
    let pending = this.refreshes.get(refreshToken);
    if (!pending) {
      pending = this.discover()
        .then((configuration) => oidc.refreshTokenGrant(configuration, refreshToken))
        .then((response) => this.tokenSet(response, tokens));
      this.refreshes.set(refreshToken, pending);
      const forget = () => this.refreshes.delete(refreshToken);
      pending.then(() => setTimeout(forget, refreshGraceMs).unref(), forget);
    }
    return pending;
  }

  async endSessionUrl(idToken: string, state: string): Promise<URL> {
    const configuration = await this.discover();
    return oidc.buildEndSessionUrl(configuration, {
      id_token_hint: idToken,
      post_logout_redirect_uri: `${this.config.baseUrl}/`,
      state,
    });
  }

  /** Validates a back-channel logout token (OpenID Connect Back-Channel Logout 1.0 §2.6). */
  async verifyLogoutToken(token: string): Promise<{ sid: string | undefined; sub: string | undefined }> {
    const configuration = await this.discover();
    if (!this.jwks) throw new Error('the broker publishes no JWKS');
    const { payload } = await jwtVerify(token, this.jwks, {
      issuer: configuration.serverMetadata().issuer,
      audience: this.config.clientId,
      algorithms: ['RS256'],
      typ: 'logout+jwt',
      maxTokenAge: '5m',
    });
    const events = payload.events as Record<string, unknown> | undefined;
    if (!events || typeof events['http://schemas.openid.net/event/backchannel-logout'] !== 'object') {
      throw new Error('not a logout token: events claim missing');
    }
    if ('nonce' in payload) throw new Error('a logout token must not carry a nonce');
    const sid = typeof payload.sid === 'string' ? payload.sid : undefined;
    if (!sid && !payload.sub) throw new Error('a logout token needs sid or sub');
    return { sid, sub: payload.sub };
  }

  private tokenSet(response: oidc.TokenEndpointResponse, previous: TokenSet | undefined): TokenSet {
    return {
      accessToken: response.access_token,
      refreshToken: response.refresh_token ?? previous?.refreshToken,
      idToken: response.id_token ?? previous?.idToken ?? '',
      expiresAt: Date.now() + (response.expires_in ?? 300) * 1000,
    };
  }
}
