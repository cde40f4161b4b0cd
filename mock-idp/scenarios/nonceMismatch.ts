// Protocol misbehaviour: the id_token carries a nonce the broker did not send (validly signed).
import { decodeJwt } from 'jose';
import { rewriteIdToken, type TokenScenario } from './scenario.ts';

export const nonceMismatch = {
  name: 'nonce_mismatch',
  aadsts: null,
  summary: 'id_token `nonce` does not match the request; broker must refuse it',
  stage: 'token',
  handle: (ctx, next, tools) =>
    rewriteIdToken(ctx, next, (idToken) =>
      tools.sign({ ...decodeJwt(idToken), nonce: 'not-the-nonce-that-was-sent' }),
    ),
} satisfies TokenScenario;
