// Protocol misbehaviour: the id_token names another issuer (validly signed).
import { decodeJwt } from 'jose';
import { rewriteIdToken, type TokenScenario } from './scenario.ts';

export const wrongIssuer = {
  name: 'wrong_issuer',
  aadsts: null,
  summary: 'id_token `iss` is another tenant; broker must refuse it',
  stage: 'token',
  handle: (ctx, next, tools) =>
    rewriteIdToken(ctx, next, (idToken) =>
      tools.sign({
        ...decodeJwt(idToken),
        iss: 'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0',
      }),
    ),
} satisfies TokenScenario;
