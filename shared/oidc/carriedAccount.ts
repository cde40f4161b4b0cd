// The account a sign-in has just read, carried in the interaction result to the resumed authorization.
//
// oidc-provider asks for the account (findAccount) once more when the browser comes back to the
// authorization endpoint to resume, a redirect after the sign-in page or callback read it. The
// result is saved with the interaction, in the service's own database, and read back at resume with the
// interaction, so the account comes with it and costs no statement. Only the resume of that same
// interaction uses it, and only for the account the result signed in. The token endpoint reads the
// account afresh in the statement that takes its code or refresh token (knexAdapter.ts); every other
// findAccount (userinfo, a later authorization) reads it again (accountForRequest below).
import type { KoaContextWithOIDC } from 'oidc-provider';
import { accountReadWithClaim } from './knexAdapter.ts';

const carriedKey = 'signedInAccount';

/** `result` with `account` for the resume to use. */
export function carryingAccount<Result extends object, Account>(
  result: Result,
  account: Account,
): Result & { [carriedKey]: Account } {
  return { ...result, [carriedKey]: account };
}

/** The account carried for `accountId` by the interaction this resume request completes, if any. */
function carriedAccount<Account>(
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

/**
 * The account findAccount is asked for: the one this request has read already, carried by the
 * interaction it resumes or read with the code or refresh token it redeems (knexAdapter.ts
 * `accountReadWithClaim`, the service's JSON, which `fromJson` reads), else what `read` finds now.
 */
export async function accountForRequest<Account>(
  ctx: KoaContextWithOIDC | undefined,
  accountId: string,
  read: (accountId: string) => Promise<Account | undefined>,
  fromJson: (json: string) => Account,
): Promise<Account | undefined> {
  const carried = carriedAccount<Account>(ctx, accountId);
  if (carried) return carried;
  const json = accountReadWithClaim(accountId);
  if (json === undefined) return read(accountId);
  return json === null ? undefined : fromJson(json);
}
