// When the mock asks for the password although the browser has an NHSmail session: oidc-provider's
// default policy, plus one check. Single sign-on would otherwise skip the sign-in page, where armed
// scenarios and account states take effect, so a tester's "lock jane" or "next sign-in: disabled"
// would silently not happen for a browser that signed in before.
import type { Knex } from 'knex';
import { interactionPolicy } from 'oidc-provider';
import { AccountStore, isLocked } from '../directory/accounts.ts';
import { hasArmedScenario } from '../scenarios/armed.ts';

const { Check } = interactionPolicy;

export function loginPolicy(db: Knex): interactionPolicy.DefaultPolicy {
  const accounts = new AccountStore(db);
  const policy = interactionPolicy.base();
  const login = policy.get('login');
  if (!login) throw new Error("oidc-provider's base policy has no login prompt");
  login.checks.add(
    new Check(
      'nhsmail_account_changed',
      'The NHSmail account changed, or a scenario is armed, since the session began',
      async (ctx) => {
        const accountId = ctx.oidc.session?.accountId;
        // No session: the default checks ask already. Just signed in: this is the resumed request.
        if (!accountId || ctx.oidc.result?.login) return Check.NO_NEED_TO_PROMPT;
        const account = await accounts.findByOid(accountId);
        // Deleted, disabled, expired or locked since: the sign-in page is where that shows.
        if (account?.state !== 'active' || isLocked(account)) return Check.REQUEST_PROMPT;
        return (await hasArmedScenario(db, account.email)) ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT;
      },
    ),
  );
  return policy;
}
