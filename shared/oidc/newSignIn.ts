// The authorization endpoint's answer to a browser that must sign in: oidc-provider has saved a new
// interaction that asks for a login and redirects (303) to the interaction URL. The broker sends the
// browser straight on to NHSmail instead, and the mock answers with its sign-in form, as Entra does;
// both change only that answer, after oidc-provider has given it.
import type { Context } from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';

export type NewInteraction = NonNullable<KoaContextWithOIDC['oidc']['entities']['Interaction']>;

/** The new login interaction a finished GET authorization request redirects to, if that is its answer. */
export function newSignInInteraction(ctx: Context): NewInteraction | undefined {
  if (ctx.method !== 'GET' || ctx.status !== 303) return undefined;
  // ctx.oidc exists only once oidc-provider's router has taken the request.
  const oidc = (ctx as Partial<KoaContextWithOIDC>).oidc;
  if (oidc?.route !== 'authorization') return undefined;
  const interaction = oidc.entities.Interaction;
  return interaction?.prompt.name === 'login' ? interaction : undefined;
}
