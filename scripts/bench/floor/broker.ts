// The bare broker of the benchmark's floor (bare.ts), for the benchmark's client, whose login is an
// openid-client sign-in at the bare upstream (PKCE, state and nonce kept in memory by state). The
// account is the upstream's `sub` with its email.
//
//   FLOOR_PORT, FLOOR_ISSUER, FLOOR_CLIENT_ID, _SECRET, _REDIRECT_URI   as in bare.ts
//   FLOOR_UPSTREAM_ISSUER, _CLIENT_ID, _CLIENT_SECRET   the bare upstream and this broker's client there
import Router from '@koa/router';
import * as oidc from 'openid-client';
import { bareProvider, env, listen, signedInWithEverythingAsked } from './bare.ts';

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

const provider = bareProvider({
  clientAuthMethod: 'client_secret_basic',
  emailOf: (id) => accounts.get(id)?.email,
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
  interaction.result = await signedInWithEverythingAsked(provider, interaction, claims.sub);
  await interaction.save(interaction.exp - Math.floor(Date.now() / 1000));
  ctx.status = 303;
  ctx.redirect(interaction.returnTo);
});
provider.use(router.routes());

listen(provider);
