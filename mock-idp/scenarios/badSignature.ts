// Protocol misbehaviour: the id_token's signature does not verify.
import { rewriteIdToken, type TokenScenario } from './scenario.ts';

export const badSignature = {
  name: 'bad_signature',
  aadsts: null,
  summary: 'id_token signature is corrupted; broker must refuse it',
  stage: 'token',
  handle: (ctx, next) =>
    rewriteIdToken(ctx, next, async (idToken) => {
      const [header, payload, signature = ''] = idToken.split('.');
      // Flip the first signature character to another valid base64url character.
      const flipped = (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1);
      return `${header}.${payload}.${flipped}`;
    }),
} satisfies TokenScenario;
