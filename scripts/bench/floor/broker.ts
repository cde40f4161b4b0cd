// The bare broker of the benchmark's floor: oidc-provider with its defaults (in-memory adapter,
// development keys) for one confidential client with PKCE and RS256 id_tokens, whose login is an
// openid-client sign-in at the bare upstream (PKCE, state and nonce kept in memory by state). The
// account is the upstream's `sub` with its email; signing in grants what the client asked for.
//
//   FLOOR_PORT, FLOOR_ISSUER                  where it listens (127.0.0.1) and what it calls itself
//   FLOOR_CLIENT_ID, _SECRET, _REDIRECT_URI   the benchmark's client
//   FLOOR_UPSTREAM_ISSUER, _CLIENT_ID, _CLIENT_SECRET   the bare upstream and this broker's client there
import http from 'node:http';
import Router from '@koa/router';
import Provider from 'oidc-provider';
import * as oidc from 'openid-client';

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const issuer = env('FLOOR_ISSUER');
const callbackUrl = `${issuer}/callback`;
const upstream = await oidc.discovery(
  new URL(env('FLOOR_UPSTREAM_ISSUER')),
  env('FLOOR_UPSTREAM_CLIENT_ID'),
  undefined,
  oidc.ClientSecretPost(env('FLOOR_UPSTREAM_CLIENT_SECRET')),
  { execute: [oidc.allowInsecureRequests] },
);

const accounts = new Map<string, { email: string }>();
const pending = new Map<string, { uid: string; codeVerifier: string; nonce: string }>();

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: env('FLOOR_CLIENT_ID'),
      client_secret: env('FLOOR_CLIENT_SECRET'),
      redirect_uris: [env('FLOOR_REDIRECT_URI')],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
    },
  ],
  pkce: { required: () => true },
  claims: { openid: ['sub'], email: ['email'] },
  // The email in the id_token itself, as the real broker does.
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: false } },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(_ctx, id) {
    const account = accounts.get(id);
    if (!account) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, email: account.email }) };
  },
});

const router = new Router();
router.get('/interaction/:uid', async (ctx) => {
  const { uid, prompt } = await provider.interactionDetails(ctx.req, ctx.res);
  if (prompt.name !== 'login') throw new Error(`unexpected prompt ${prompt.name}`);
  const state = oidc.randomState();
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const nonce = oidc.randomNonce();
  pending.set(state, { uid, codeVerifier, nonce });
  ctx.status = 303;
  ctx.redirect(
    oidc.buildAuthorizationUrl(upstream, {
      redirect_uri: callbackUrl,
      scope: 'openid email',
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    }).href,
  );
});
// Below no interaction's cookie path: the interaction is found by the uid kept with the state.
router.get('/callback', async (ctx) => {
  const state = String(ctx.query.state);
  const started = pending.get(state);
  if (!started) throw new Error('unknown state');
  pending.delete(state);
  const tokens = await oidc.authorizationCodeGrant(upstream, new URL(ctx.href), {
    pkceCodeVerifier: started.codeVerifier,
    expectedState: state,
    expectedNonce: started.nonce,
    idTokenExpected: true,
  });
  const claims = tokens.claims();
  if (!claims) throw new Error('no id_token');
  accounts.set(claims.sub, { email: String(claims.email) });
  const interaction = await provider.Interaction.find(started.uid);
  if (!interaction) throw new Error('interaction expired');
  const grant = new provider.Grant({ accountId: claims.sub, clientId: String(interaction.params.client_id) });
  grant.addOIDCScope(String(interaction.params.scope));
  interaction.result = { login: { accountId: claims.sub }, consent: { grantId: await grant.save() } };
  await interaction.save(interaction.exp - Math.floor(Date.now() / 1000));
  ctx.status = 303;
  ctx.redirect(interaction.returnTo);
});
provider.use(router.routes());

http.createServer(provider.callback()).listen(Number(env('FLOOR_PORT')), '127.0.0.1');
