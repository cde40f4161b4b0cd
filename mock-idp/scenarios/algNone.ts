// Protocol misbehaviour: an unsecured id_token (`alg: none`, no signature).
import { decodeJwt, UnsecuredJWT } from 'jose';
import { rewriteIdToken, type TokenScenario } from './scenario.ts';

export const algNone = {
  name: 'alg_none',
  aadsts: null,
  summary: 'id_token with `alg: none`; broker must refuse it',
  stage: 'token',
  handle: (ctx, next) =>
    rewriteIdToken(ctx, next, async (idToken) => new UnsecuredJWT(decodeJwt(idToken)).encode()),
} satisfies TokenScenario;
