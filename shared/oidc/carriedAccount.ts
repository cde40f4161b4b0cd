// The account a sign-in has just read, carried in the interaction result to the resumed authorization.
//
// oidc-provider asks for the account (findAccount) once more when the browser comes back to the
// authorization endpoint to resume, a redirect after the sign-in page or callback read it. The
// result is saved with the interaction, in the service's own database, and read back at resume with the
// interaction, so the account comes with it and costs no statement. Only the resume of that same
// interaction uses it, and only for the account the result signed in; every other findAccount (the
// token endpoint, userinfo, a later authorization) reads the account again.
import type { KoaContextWithOIDC } from 'oidc-provider';

const carriedKey = 'signedInAccount';

/** `result` with `account` for the resume to use. */
export function carryingAccount<Result extends object, Account>(
  result: Result,
  account: Account,
): Result & { [carriedKey]: Account } {
  return { ...result, [carriedKey]: account };
}

/** The account carried for `accountId` by the interaction this resume request completes, if any. */
export function carriedAccount<Account>(
  ctx: KoaContextWithOIDC | undefined,
  accountId: string,
): Account | undefined {
  const oidc = ctx?.oidc;
  if (oidc?.route !== 'resume') return undefined;
  const result = oidc.entities.Interaction?.result as
    | { login?: { accountId?: string }; [carriedKey]?: Account }
    | undefined;
  return result?.login?.accountId === accountId ? result[carriedKey] : undefined;
}
