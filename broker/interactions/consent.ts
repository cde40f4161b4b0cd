// The consent step, without a consent screen: every client of the broker is a first-party CQRS app.
// oidc-provider asks for consent when a client sends prompt=consent (OpenID Connect Core §11 tells
// clients to, for offline_access). Sending the browser to NHSmail then would loop, since signing in
// never answers a consent prompt: grant the scopes asked for and go on.
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { SignInRefused } from './signInRefused.ts';

type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

export async function finishFirstPartyConsent(
  provider: Provider,
  ctx: Context,
  interaction: Interaction,
): Promise<void> {
  if (!interaction.session?.accountId) throw SignInRefused.interactionMismatch(interaction);
  // The grant itself is made or extended at the resume (shared/oidc/firstPartyGrant.ts), in the
  // authorization request and so with its session: a grant ends with the sign-in (signInLifetime.ts).
  await provider.interactionFinished(
    ctx.req,
    ctx.res,
    { consent: interaction.grantId ? { grantId: interaction.grantId } : {} },
    { mergeWithLastSubmission: true },
  );
}
