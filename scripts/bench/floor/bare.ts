// What the floor's two bare providers share: oidc-provider with its defaults (in-memory adapter,
// development keys) for one confidential client from the environment, PKCE, RS256 id_tokens carrying
// `email`, a login at /interaction/<uid> that grants whatever the client asked for, and a listener
// on 127.0.0.1.
//
//   FLOOR_PORT, FLOOR_ISSUER                  where it listens and what it calls itself
//   FLOOR_CLIENT_ID, _SECRET, _REDIRECT_URI   its one client
import http from 'node:http';
import Provider from 'oidc-provider';
import { announceListening } from '../../../shared/http/serve.ts';

export function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

/** A bare provider for the client in the environment; `emailOf` answers an account's email. */
export function bareProvider(options: {
  clientAuthMethod: 'client_secret_basic' | 'client_secret_post';
  emailOf: (accountId: string) => string | undefined;
}): Provider {
  return new Provider(env('FLOOR_ISSUER'), {
    clients: [
      {
        client_id: env('FLOOR_CLIENT_ID'),
        client_secret: env('FLOOR_CLIENT_SECRET'),
        redirect_uris: [env('FLOOR_REDIRECT_URI')],
        token_endpoint_auth_method: options.clientAuthMethod,
        id_token_signed_response_alg: 'RS256',
      },
    ],
    pkce: { required: () => true },
    claims: { openid: ['sub'], email: ['email'] },
    // The email in the id_token itself, as the real broker and the mock put it.
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(_ctx, id) {
      const email = options.emailOf(id);
      if (email === undefined) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, email }) };
    },
  });
}

type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

/** The interaction result that signs `accountId` in and grants what the client asked for: no consent. */
export async function signedInWithEverythingAsked(
  provider: Provider,
  interaction: Interaction,
  accountId: string,
) {
  const grant = new provider.Grant({ accountId, clientId: String(interaction.params.client_id) });
  grant.addOIDCScope(String(interaction.params.scope));
  return { login: { accountId }, consent: { grantId: await grant.save() } };
}

export function listen(provider: Provider): void {
  const server = http.createServer(provider.callback());
  server.listen(Number(env('FLOOR_PORT')), '127.0.0.1', () => announceListening(server));
}
