// When the broker asks for a sign-in: oidc-provider's default policy, plus one check. A browser session
// whose account has been suspended since (findAccount finds no active account) must sign in again,
// where the account gate refuses it; without this check oidc-provider would carry on with no account
// and no grant and fail with a server error. prompt=none gets login_required.
import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';

const { base, Check } = interactionPolicy;

export function brokerInteractionPolicy(): interactionPolicy.Prompt[] {
  const policy = base();
  policy
    .get('login')
    ?.checks.add(
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
  return policy;
}
