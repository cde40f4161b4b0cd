// The mock NHSmail IdP's OpenID Provider, shaped like Microsoft Entra ID v2.0: a tenant-scoped issuer,
// Entra's endpoint paths, RS256 id_tokens with ver/tid/oid/pairwise sub/name/preferred_username, and
// `email` when the email scope is asked.
import type { Knex } from 'knex';
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { signedCookieKeys } from '../../shared/http/cookieKeys.ts';
import { installHashedClientSecrets } from '../../shared/oidc/clientStore.ts';
import { accountForRequest } from '../../shared/oidc/carriedAccount.ts';
import { loadFirstPartyGrant } from '../../shared/oidc/firstPartyGrant.ts';
import type { ClientCache } from '../../shared/oidc/clientCache.ts';
import { createKnexAdapter } from '../../shared/oidc/knexAdapter.ts';
import { ensureCookieKeys, ensureSigningKeys } from '../../shared/oidc/keyStore.ts';
import { signOutEndsGrants } from '../../shared/oidc/signOutEndsGrants.ts';
import type { MockIdpConfig } from '../config.ts';
import { AccountStore, type ClaimsField, type NhsmailAccount } from '../directory/accounts.ts';
import { loginPolicy } from './loginPolicy.ts';
import { entraSubject, installEntraClients } from './clients.ts';
import { loginHintFor, logoutSource } from './logout.ts';

/** What an id_token or userinfo says of an account. */
type ClaimsAccount = Pick<NhsmailAccount, ClaimsField>;

/** The part of an account its claims need, carried from the sign-in form to the resume. */
export function claimsAccount(account: NhsmailAccount): ClaimsAccount {
  return {
    oid: account.oid,
    email: account.email,
    givenName: account.givenName,
    familyName: account.familyName,
  };
}

/** koa-views adds `render` to every context (app.ts). */
type RenderingContext = KoaContextWithOIDC & { render: (view: string, locals: object) => Promise<void> };

/** Entra-shaped paths below the tenant id. */
export function entraRoutes(tenantId: string) {
  return {
    authorization: `/${tenantId}/oauth2/v2.0/authorize`,
    token: `/${tenantId}/oauth2/v2.0/token`,
    jwks: `/${tenantId}/discovery/v2.0/keys`,
    userinfo: `/${tenantId}/openid/userinfo`,
    end_session: `/${tenantId}/oauth2/v2.0/logout`,
    revocation: `/${tenantId}/oauth2/v2.0/revoke`,
    interaction: `/${tenantId}/login`,
    discovery: `/${tenantId}/v2.0/.well-known/openid-configuration`,
  };
}

export async function createMockProvider(
  config: MockIdpConfig,
  db: Knex,
  clients: ClientCache,
): Promise<Provider> {
  const [signingKeys, cookieKeys] = await Promise.all([ensureSigningKeys(db), ensureCookieKeys(db)]);
  const accounts = new AccountStore(db);
  const routes = entraRoutes(config.tenantId);

  const configuration: Configuration = {
    // The token endpoint reads the account in the statement that takes its code.
    adapter: createKnexAdapter(db, clients, { accountJson: accounts.accountJson }),
    jwks: { keys: signingKeys.map((key) => key.privateJwk) as NonNullable<Configuration['jwks']>['keys'] },
    cookies: {
      keys: signedCookieKeys(cookieKeys),
      // Distinct names: cookies ignore ports, and the broker and the mock share a host in development.
      names: { session: 'nhsmail_session', interaction: 'nhsmail_interaction', resume: 'nhsmail_resume' },
      long: { signed: true, secure: config.secureCookies },
      short: { signed: true, secure: config.secureCookies },
    },
    routes: {
      authorization: routes.authorization,
      token: routes.token,
      jwks: routes.jwks,
      userinfo: routes.userinfo,
      end_session: routes.end_session,
      revocation: routes.revocation,
    },
    scopes: ['openid', 'email', 'profile', 'offline_access'],
    claims: {
      openid: ['sub', 'oid', 'tid', 'ver', 'name', 'preferred_username', 'login_hint'],
      email: ['email'],
      profile: ['name', 'given_name', 'family_name'],
    },
    // Entra puts the profile claims in the id_token itself; so does the mock.
    conformIdTokenClaims: false,
    // Every client gets Entra's pairwise sub, keyed by client id (clients.ts).
    subjectTypes: ['public', 'pairwise'],
    async pairwiseIdentifier(_ctx, accountId, client) {
      return entraSubject(config.tenantId, client.clientId, accountId);
    },
    // Entra's app registrations have a front-channel logout URL; oidc-provider 9 no longer knows it.
    extraClientMetadata: { properties: ['frontchannel_logout_uri'] },
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      id_token_signed_response_alg: 'RS256',
      token_endpoint_auth_method: 'client_secret_post',
    },
    responseTypes: ['code'],
    pkce: { required: () => true },
    // As at Entra, a code or access token is not tied to the browser's session: redeeming one reads no
    // session. Signing out still ends them (shared/oidc/signOutEndsGrants.ts).
    async expiresWithSession() {
      return false;
    },
    enabledJWA: {
      idTokenSigningAlgValues: ['RS256'],
      clientAuthSigningAlgValues: ['RS256'],
    },
    features: {
      devInteractions: { enabled: false },
      userinfo: { enabled: true },
      revocation: { enabled: true },
      // Entra's end_session and single sign-out: mock-idp/provider/logout.ts.
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx, form) => logoutSource(provider, config)(ctx, form),
        async postLogoutSuccessSource(ctx) {
          await (ctx as RenderingContext).render('logged-out', { title: 'Signed out' });
        },
      },
    },
    async findAccount(ctx, id) {
      // At resume, the account the sign-in form read moments ago; at the token endpoint, the one read
      // with the code; everywhere else, read afresh.
      const account = await accountForRequest<ClaimsAccount>(
        ctx,
        id,
        (oid) => accounts.findByOid(oid),
        (json) => accounts.fromJson(json),
      );
      if (!account) return undefined;
      return {
        accountId: id,
        async claims() {
          return {
            sub: id,
            ver: '2.0',
            tid: config.tenantId,
            oid: account.oid,
            name: `${account.givenName} ${account.familyName}`,
            given_name: account.givenName,
            family_name: account.familyName,
            preferred_username: account.email,
            email: account.email,
            login_hint: loginHintFor(config.tenantId, account.oid),
          };
        },
      };
    },
    interactions: {
      // The sign-in page, where the interaction cookie is scoped. A new sign-in that asks for a login
      // is answered with its form at the authorization endpoint instead of a redirect here (login.ts).
      url: (_ctx, interaction) => `${routes.interaction}/${interaction.uid}`,
      policy: loginPolicy(db),
    },
    loadExistingGrant: loadFirstPartyGrant,
    async renderError(ctx, out) {
      ctx.type = 'html';
      await (ctx as RenderingContext).render('error', {
        title: 'Sign-in error',
        errorCode: out.error,
        errorDescription: out.error_description,
        correlationId: ctx.state.correlationId,
      });
    },
    ttl: {
      Session: 8 * 60 * 60,
      Interaction: 60 * 60,
      Grant: 14 * 24 * 60 * 60,
      AuthorizationCode: 60,
      AccessToken: 60 * 60,
      IdToken: 60 * 60,
    },
  };

  const provider = new Provider(config.issuer, configuration);
  installHashedClientSecrets(provider);
  // Entra's id_tokens always carry the session's `sid`; oidc-provider adds it only for back-channel
  // clients (lib/models/client.js includeSid), so say yes for every client.
  (provider.Client.prototype as unknown as { includeSid(): boolean }).includeSid = () => true;
  installEntraClients(provider);
  signOutEndsGrants(provider);
  return provider;
}
