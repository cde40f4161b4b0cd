// The consent step, without a consent screen: every client of the broker is a first-party CQRS app.
// oidc-provider asks for consent when a client sends prompt=consent (OpenID Connect Core §11 tells
// clients to, for offline_access). Sending the browser to NHSmail then would loop, since signing in
// never answers a consent prompt: grant the scopes asked for and go on.
import type { Context } from 'koa';
import type Provider from 'oidc-provider';

type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

export async function finishFirstPartyConsent(
  provider: Provider,
  ctx: Context,
  interaction: Interaction,
): Promise<void> {
  const accountId = interaction.session?.accountId;
  const clientId = String(interaction.params.client_id);
  ctx.assert(accountId, 400, 'This sign-in does not belong to your browser session.');
  let grant = interaction.grantId ? await provider.Grant.find(interaction.grantId) : undefined;
  if (grant && (grant.accountId !== accountId || grant.clientId !== clientId)) grant = undefined;
  grant ??= new provider.Grant({ accountId, clientId });
  grant.addOIDCScope(typeof interaction.params.scope === 'string' ? interaction.params.scope : 'openid');
  const grantId = await grant.save();
  await provider.interactionFinished(
    ctx.req,
    ctx.res,
    { consent: { grantId } },
    { mergeWithLastSubmission: true },
  );
}
