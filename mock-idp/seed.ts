// Seeds the mock NHSmail directory with the personas of docs/design.md §3 and registers the broker as a
// client. Idempotent: running it again restores the seed state (the control API's reset uses it).
import type { Knex } from 'knex';
import { personas, seededPassword } from '../seeds/personas.ts';
import { putClient } from '../shared/oidc/clientStore.ts';
import type { MockIdpConfig } from './config.ts';
import { AccountStore } from './directory/accounts.ts';
import { disarm } from './scenarios/armed.ts';

/** Fixed one-time codes so trainers and tests know them. */
export function seededMfaCode(index: number): string {
  return String(246810 + index * 11111).slice(0, 6);
}

export async function seedMockIdp(db: Knex, config: MockIdpConfig): Promise<void> {
  const accounts = new AccountStore(db);
  // Through disarm(), so that a running mock's count of armed scenarios follows.
  await disarm(db);
  await db('login_progress').delete();
  await db('sign_in_attempts').delete();
  const seeded = personas.filter((persona) => persona.nhsmail !== 'none');
  const seededEmails = seeded.map((persona) => persona.email);
  await db('nhsmail_accounts').whereNotIn('email', seededEmails).delete();
  await Promise.all(
    seeded.map((persona, index) =>
      accounts.put({
        email: persona.email,
        password: seededPassword,
        givenName: persona.givenName,
        familyName: persona.familyName,
        oid: persona.oid,
        state: persona.nhsmail === 'none' ? 'active' : persona.nhsmail,
        mfaRequired: persona.mfaRequired,
        mfaCode: seededMfaCode(index),
      }),
    ),
  );
  await putClient(db, {
    clientId: config.brokerClient.clientId,
    secret: config.brokerClient.secret,
    metadata: {
      client_name: 'CQRS identity broker',
      redirect_uris: config.brokerClient.redirectUris,
      post_logout_redirect_uris: config.brokerClient.postLogoutRedirectUris,
      ...(config.brokerClient.frontchannelLogoutUri
        ? { frontchannel_logout_uri: config.brokerClient.frontchannelLogoutUri }
        : {}),
      grant_types: ['authorization_code'],
      response_types: ['code'],
      // No subject_type: `pairwise` would need a sector_identifier_uri once the redirect URIs span
      // hosts; the sub is Entra's pairwise one all the same (provider/subject.ts).
      token_endpoint_auth_method: 'client_secret_post',
    },
  });
}
