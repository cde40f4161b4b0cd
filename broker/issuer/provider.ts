// The broker's OpenID Provider for downstream CQRS apps: authorization code with PKCE S256 for every
// client, exact redirect URIs, RFC 9207 `iss` in authorization responses (oidc-provider's default),
// userinfo, refresh tokens rotated on every use (a reused one revokes the grant), revocation,
// introspection for registered resource servers, RP-initiated and back-channel logout.
import type { Knex } from 'knex';
import Provider, { type Configuration, errors, type KoaContextWithOIDC } from 'oidc-provider';
import { signedCookieKeys } from '../../shared/http/cookieKeys.ts';
import { accountForRequest } from '../../shared/oidc/carriedAccount.ts';
import type { ClientCache } from '../../shared/oidc/clientCache.ts';
import { installHashedClientSecrets } from '../../shared/oidc/clientStore.ts';
import { loadFirstPartyGrant } from '../../shared/oidc/firstPartyGrant.ts';
import { createKnexAdapter } from '../../shared/oidc/knexAdapter.ts';
import { signOutEndsGrants } from '../../shared/oidc/signOutEndsGrants.ts';
import type { AccountStore, CqrsAccount } from '../accounts/accountStore.ts';
import type { BrokerConfig } from '../config.ts';
import { brokerInteractionPolicy } from './interactionPolicy.ts';
import { type IssuerKeys, loadIssuerKeys } from './keyFollower.ts';
import { offlineAccessIsConsent } from './offlineAccess.ts';
import { outgoingFetch } from './outgoingRequests.ts';
import { signInLifetime } from './signInLifetime.ts';

type RenderingContext = KoaContextWithOIDC & { render: (view: string, locals?: object) => Promise<void> };

/**
 * The account's claims; oidc-provider keeps those of the granted scopes. The id_token carries the
 * identity claims too (RPs such as ASP.NET Core read no userinfo by default); organisations, which
 * can be long, only userinfo.
 */
export function accountClaims(account: CqrsAccount, use: string = 'userinfo') {
  const identity = {
    sub: account.id,
    email: account.email,
    email_verified: true,
    name: `${account.givenName} ${account.familyName}`,
    given_name: account.givenName,
    family_name: account.familyName,
  };
  if (use === 'id_token') return identity;
  return {
    ...identity,
    organisations: account.organisations.map((organisation) => ({
      ods_code: organisation.odsCode,
      name: organisation.name,
      type: organisation.type,
      roles: organisation.roles,
    })),
  };
}

export async function createIssuer(
  config: BrokerConfig,
  db: Knex,
  accounts: AccountStore,
  keys?: IssuerKeys,
  clients?: ClientCache,
): Promise<Provider> {
  // oidc-provider reads its keys only here: the broker builds a new issuer when they change (app.ts).
  const { signing: signingKeys, cookies: cookieKeys } = keys ?? (await loadIssuerKeys(db));
  const lifetime = signInLifetime(config.signInLifetimeSeconds);

  const configuration: Configuration = {
    // The broker's client cache outlives the issuer: a rebuild for new keys reads no client again.
    // Sessions carry their NHSmail session link as an annex (broker/logout/upstreamSessions.ts), and
    // every refresh token rotates (rotateRefreshToken below). The token endpoint reads the account in
    // the statement that takes its code or refresh token.
    adapter: createKnexAdapter(db, clients, {
      keepsAnnexes: true,
      rotatesRefreshTokens: true,
      accountJson: accounts.accountJson,
    }),
    jwks: { keys: signingKeys.map((jwk) => ({ ...jwk })) as NonNullable<Configuration['jwks']>['keys'] },
    cookies: {
      keys: signedCookieKeys(cookieKeys),
      // Distinct names: cookies ignore ports, and the broker and the mock share a host in development.
      names: {
        session: 'cqrs_broker_session',
        interaction: 'cqrs_broker_interaction',
        resume: 'cqrs_broker_resume',
      },
      long: { signed: true, secure: config.secureCookies },
      short: { signed: true, secure: config.secureCookies },
    },
    scopes: ['openid', 'email', 'profile', 'cqrs', 'offline_access'],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name'],
      cqrs: ['organisations'],
    },
    // Identity claims of the granted scopes in the id_token, not only at userinfo.
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    pkce: { required: () => true },
    allowOmittingSingleRegisteredRedirectUri: false,
    // Only what `cqrs-broker clients add` can register: secrets for confidential apps, none for public ones.
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
    enabledJWA: {
      idTokenSigningAlgValues: ['RS256'],
      userinfoSigningAlgValues: ['RS256'],
      introspectionSigningAlgValues: ['RS256'],
      authorizationSigningAlgValues: ['RS256'],
      clientAuthSigningAlgValues: ['RS256'],
    },
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      id_token_signed_response_alg: 'RS256',
      token_endpoint_auth_method: 'client_secret_basic',
    },
    extraClientMetadata: { properties: ['cqrs_resource_server'] },
    features: {
      devInteractions: { enabled: false },
      userinfo: { enabled: true },
      revocation: {
        enabled: true,
        // RFC 7009 §2.1: only the client a token was issued to may revoke it; anyone else is refused.
        async allowedPolicy(_ctx, client, token) {
          if (token.clientId !== client.clientId)
            throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
          return true;
        },
      },
      introspection: {
        enabled: true,
        // Registered resource servers may introspect any token; other clients only their own.
        async allowedPolicy(_ctx, client, token) {
          return client.metadata().cqrs_resource_server === true || token.clientId === client.clientId;
        },
      },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          await (ctx as RenderingContext).render('logout', { title: 'Sign out', form });
        },
        async postLogoutSuccessSource(ctx) {
          await (ctx as RenderingContext).render('logged-out', { title: 'Signed out' });
        },
      },
      backchannelLogout: { enabled: true },
    },
    fetch: outgoingFetch(config.issuer),
    // oidc-provider's default: a refresh token only when offline_access is granted (offlineAccess.ts).
    // Every code and token ends with the broker session, offline_access or not: signing out (or being
    // suspended) on a shared practice computer must end every app's refresh. Not by binding each token
    // to the session, which costs a Session read at every use, but by ending the grant behind them
    // wherever a session ends: RP-initiated sign-out (signOutEndsGrants.ts), NHSmail's sign-out and
    // suspension (broker/logout/sessions.ts, revocation.ts). Grant, session and refresh token end
    // together, with the sign-in (ttl below).
    async expiresWithSession() {
      return false;
    },
    rotateRefreshToken: true,
    async findAccount(ctx, id) {
      // At resume, the account the sign-in gate read moments ago; everywhere else, read afresh. The
      // token endpoint reads it again before any token is issued, so a suspension that lands in
      // between still stops the sign-in there: in the statement that takes the code or refresh token.
      const account = await accountForRequest<CqrsAccount>(
        ctx,
        id,
        (accountId) => accounts.findById(accountId),
        (json) => accounts.fromJson(json),
      );
      // A suspended account has no claims: its sessions, userinfo and refresh tokens stop working.
      if (account?.status !== 'active') return undefined;
      return { accountId: id, claims: async (use) => accountClaims(account, use) };
    },
    interactions: {
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
      policy: brokerInteractionPolicy(lifetime),
    },
    loadExistingGrant: loadFirstPartyGrant,
    clientBasedCORS(_ctx, origin, client) {
      return client.redirectUris?.some((uri) => new URL(uri).origin === origin) ?? false;
    },
    async renderError(ctx, out) {
      ctx.type = 'html';
      await (ctx as RenderingContext).render('error', {
        title: 'Authentication Error',
        correlationId: ctx.state.correlationId,
        reason: out.error,
        oauthError: out.error,
      });
    },
    ttl: {
      AuthorizationCode: 60,
      AccessToken: lifetime.atMost(10 * 60),
      IdToken: lifetime.atMost(60 * 60),
      // A sign-in lasts a working day at most (BROKER_SIGN_IN_LIFETIME_SECONDS), counted from the
      // moment the user signed in: the browser session, the grant behind the tokens and every refresh
      // token end together, however often they are used (signInLifetime.ts).
      RefreshToken: lifetime.RefreshToken,
      Session: lifetime.Session,
      Grant: lifetime.Grant,
      Interaction: 60 * 60,
      BackchannelAuthenticationRequest: 10 * 60,
      ClientCredentials: 10 * 60,
      DeviceCode: 10 * 60,
    },
  };

  const provider = new Provider(config.issuer, configuration);
  installHashedClientSecrets(provider);
  signOutEndsGrants(provider);
  provider.use(offlineAccessIsConsent('/auth'));
  return provider;
}
