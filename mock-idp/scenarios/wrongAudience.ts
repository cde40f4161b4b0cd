// Protocol misbehaviour: the id_token was issued to another client (validly signed).
import { decodeJwt } from 'jose';
import { rewriteIdToken, type TokenScenario } from './scenario.ts';

export const wrongAudience = {
  name: 'wrong_audience',
  aadsts: null,
  summary: 'id_token `aud` is another client; broker must refuse it',
  stage: 'token',
  handle: (ctx, next, tools) =>
    rewriteIdToken(ctx, next, (idToken) => tools.sign({ ...decodeJwt(idToken), aud: 'some-other-client' })),
} satisfies TokenScenario;
