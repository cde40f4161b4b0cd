// When the broker asks for a sign-in: oidc-provider's default policy, plus two checks. A browser
// session whose account has been suspended since (findAccount finds no active account) must sign in
// again, where the account gate refuses it; without this check oidc-provider would carry on with no
// account and no grant and fail with a server error. And a session whose sign-in is over
// (signInLifetime.ts) signs no one in, even in the second its row can outlast it. prompt=none gets
// login_required.
import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import type { SignInLifetime } from './signInLifetime.ts';

const { base, Check } = interactionPolicy;

export function brokerInteractionPolicy(lifetime: SignInLifetime): interactionPolicy.Prompt[] {
  const policy = base();
  const login = policy.get('login');
  login?.checks.add(
    new Check(
      'account_unavailable',
      'End-User authentication is required',
      'login_required',
      (ctx: KoaContextWithOIDC) =>
        ctx.oidc.session?.accountId !== undefined && ctx.oidc.account === undefined
          ? Check.REQUEST_PROMPT
          : Check.NO_NEED_TO_PROMPT,
    ),
  );
  login?.checks.add(
    new Check(
      'sign_in_ended',
      'End-User authentication is required',
      'login_required',
      (ctx: KoaContextWithOIDC) =>
        lifetime.ended(ctx.oidc.session) ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT,
    ),
  );
  return policy;
}
