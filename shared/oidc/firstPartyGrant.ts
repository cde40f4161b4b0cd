// Every client here is first-party (the broker at NHSmail, CQRS apps at the broker), so there is no
// consent screen: the grant is created or extended with exactly the scopes the client asked for.
import type { Grant, KoaContextWithOIDC } from 'oidc-provider';

export async function loadFirstPartyGrant(ctx: KoaContextWithOIDC): Promise<Grant | undefined> {
  const { client, session, params, provider } = ctx.oidc;
  if (!client || !session?.accountId) return undefined;
  const grantId = ctx.oidc.result?.consent?.grantId ?? session.grantIdFor(client.clientId);
  let grant = grantId ? await provider.Grant.find(grantId) : undefined;
  if (grant && (grant.accountId !== session.accountId || grant.clientId !== client.clientId))
    grant = undefined;
  grant ??= new provider.Grant({ clientId: client.clientId, accountId: session.accountId });
  const requested = typeof params?.scope === 'string' ? params.scope : 'openid';
  grant.addOIDCScope(requested);
  await grant.save();
  return grant;
}
