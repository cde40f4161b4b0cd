// The bare upstream of the benchmark's floor (bare.ts), for the bare broker, with a password form
// checked with argon2id at the OWASP parameters, by the mock's own code (mock-idp/directory/passwords.ts).
//
//   FLOOR_PORT, FLOOR_ISSUER, FLOOR_CLIENT_ID, _SECRET, _REDIRECT_URI   as in bare.ts
//   FLOOR_USERS, FLOOR_PASSWORD        comma-separated emails, all with that password
import { randomUUID } from 'node:crypto';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import { hashPassword, verifyPassword } from '../../../mock-idp/directory/passwords.ts';
import { bareProvider, env, listen, signedInWithEverythingAsked } from './bare.ts';

interface User {
  id: string;
  email: string;
  passwordHash: string;
}

const password = env('FLOOR_PASSWORD');
const users = new Map<string, User>();
for (const email of env('FLOOR_USERS').split(',')) {
  users.set(email, { id: randomUUID(), email, passwordHash: await hashPassword(password) });
}
const usersById = new Map([...users.values()].map((user) => [user.id, user]));

const provider = bareProvider({
  clientAuthMethod: 'client_secret_post',
  emailOf: (id) => usersById.get(id)?.email,
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
  if (!(await verifyPassword(user?.passwordHash, form.password ?? '')) || !user) {
    ctx.status = 401;
    ctx.body = 'wrong user ID or password';
    return;
  }
  const result = await signedInWithEverythingAsked(provider, interaction, user.id);
  ctx.status = 303;
  ctx.redirect(
    await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false }),
  );
});
provider.use(router.routes());

listen(provider);
