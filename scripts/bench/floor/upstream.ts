// The bare upstream of the benchmark's floor: oidc-provider with its defaults (in-memory adapter,
// development keys), one confidential client for the bare broker, PKCE, RS256 id_tokens with the
// email claim, and a password form checked with argon2id at the OWASP parameters the mock uses
// (mock-idp/directory/passwords.ts). No consent screen: signing in grants what the client asked for.
//
//   FLOOR_PORT, FLOOR_ISSUER           where it listens (127.0.0.1) and what it calls itself
//   FLOOR_CLIENT_ID, _SECRET, _REDIRECT_URI  the bare broker
//   FLOOR_USERS, FLOOR_PASSWORD        comma-separated emails, all with that password
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import argon2 from 'argon2';
import Provider from 'oidc-provider';

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const argon2id = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

interface User {
  id: string;
  email: string;
  passwordHash: string;
}

const password = env('FLOOR_PASSWORD');
const users = new Map<string, User>();
for (const email of env('FLOOR_USERS').split(',')) {
  users.set(email, { id: randomUUID(), email, passwordHash: await argon2.hash(password, argon2id) });
}
const usersById = new Map([...users.values()].map((user) => [user.id, user]));

const provider = new Provider(env('FLOOR_ISSUER'), {
  clients: [
    {
      client_id: env('FLOOR_CLIENT_ID'),
      client_secret: env('FLOOR_CLIENT_SECRET'),
      redirect_uris: [env('FLOOR_REDIRECT_URI')],
      token_endpoint_auth_method: 'client_secret_post',
      id_token_signed_response_alg: 'RS256',
    },
  ],
  pkce: { required: () => true },
  claims: { openid: ['sub'], email: ['email'] },
  // The email in the id_token itself, not only at userinfo.
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: false } },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(_ctx, id) {
    const user = usersById.get(id);
    if (!user) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, email: user.email }) };
  },
});

const router = new Router();
router.get('/interaction/:uid', async (ctx) => {
  // oidc-provider's uids are URL-safe: nothing to escape.
  const { uid } = await provider.interactionDetails(ctx.req, ctx.res);
  ctx.type = 'html';
  ctx.body = `<!doctype html><title>Sign in</title>
<form method="post" action="/interaction/${uid}">
<input name="username" autocomplete="username"> <input name="password" type="password"> <button>Sign in</button>
</form>`;
});
router.post('/interaction/:uid', bodyParser({ enableTypes: ['form'] }), async (ctx) => {
  const interaction = await provider.interactionDetails(ctx.req, ctx.res);
  const form = ctx.request.body as Record<string, string | undefined>;
  const user = users.get(form.username ?? '');
  if (!user || !(await argon2.verify(user.passwordHash, form.password ?? ''))) {
    ctx.status = 401;
    ctx.body = 'wrong user ID or password';
    return;
  }
  const grant = new provider.Grant({ accountId: user.id, clientId: String(interaction.params.client_id) });
  grant.addOIDCScope(String(interaction.params.scope));
  const result = { login: { accountId: user.id }, consent: { grantId: await grant.save() } };
  ctx.status = 303;
  ctx.redirect(
    await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false }),
  );
});
provider.use(router.routes());

http.createServer(provider.callback()).listen(Number(env('FLOOR_PORT')), '127.0.0.1');
