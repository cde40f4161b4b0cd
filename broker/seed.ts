// Seeds the broker: the CQRS accounts of docs/design.md §3 and the `cqrs-app` client. Idempotent.
import type { Knex } from 'knex';
import { cqrsAppClient } from '../seeds/clients.ts';
import { personas } from '../seeds/personas.ts';
import { putClient } from '../shared/oidc/clientStore.ts';
import { AccountStore } from './accounts/accountStore.ts';

export async function seedBroker(
  db: Knex,
  options: { cqrsAppUrl: string; cqrsAppSecret: string },
): Promise<void> {
  const accounts = new AccountStore(db);
  for (const persona of personas) {
    if (persona.cqrs === 'none') continue;
    const existing = await accounts.findByEmail(persona.email);
    const input = {
      id: persona.cqrsAccountId,
      email: persona.email,
      givenName: persona.givenName,
      familyName: persona.familyName,
      status: persona.cqrs,
      organisations: persona.organisations.map((organisation) => ({ ...organisation })),
    };
    if (existing) await accounts.upsert(input);
    else await accounts.create(input);
  }
  await putClient(db, {
    clientId: cqrsAppClient.clientId,
    secret: options.cqrsAppSecret,
    metadata: {
      client_name: 'Calculating Quality Reporting Service',
      redirect_uris: [`${options.cqrsAppUrl}${cqrsAppClient.redirectPath}`],
      post_logout_redirect_uris: [`${options.cqrsAppUrl}${cqrsAppClient.postLogoutPath}`],
      backchannel_logout_uri: `${options.cqrsAppUrl}${cqrsAppClient.backchannelLogoutPath}`,
      backchannel_logout_session_required: true,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'openid email profile cqrs offline_access',
    },
  });
}
