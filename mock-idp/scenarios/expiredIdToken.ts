// Protocol misbehaviour: the id_token expired an hour ago (validly signed).
import { decodeJwt } from 'jose';
import { rewriteIdToken, type TokenScenario } from './scenario.ts';

export const expiredIdToken = {
  name: 'expired_id_token',
  aadsts: null,
  summary: 'id_token `exp` is in the past; broker must refuse it',
  stage: 'token',
  handle: (ctx, next, tools) =>
    rewriteIdToken(ctx, next, (idToken) => {
      const now = Math.floor(Date.now() / 1000);
      return tools.sign({ ...decodeJwt(idToken), iat: now - 7200, nbf: now - 7200, exp: now - 3600 });
    }),
} satisfies TokenScenario;
