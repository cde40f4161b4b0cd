// Protocol misbehaviour: the id_token is signed with a key whose `kid` the JWKS does not publish.
import { decodeJwt } from 'jose';
import { rewriteIdToken, type TokenScenario } from './scenario.ts';

export const unknownKid = {
  name: 'unknown_kid',
  aadsts: null,
  summary: 'id_token signed by a key not in the JWKS; broker refetches the JWKS once, then refuses',
  stage: 'token',
  handle: (ctx, next, tools) =>
    rewriteIdToken(ctx, next, (idToken) => tools.sign(decodeJwt(idToken), { key: 'unknown' })),
} satisfies TokenScenario;
