// The account gate: an NHSmail identity gets CQRS tokens only if its email matches an active CQRS
// account. The first sign-in links the account to the identity's tenant and object id; afterwards the
// link decides, and another object id presenting a linked email is refused. Only the `email` claim
// matches, and a first link needs a tenant that has verified the email's domain (`xms_edov` not false).
import type { UpstreamIdentity } from '../upstream/connector.ts';
import type { AccountStore, CqrsAccount } from './accountStore.ts';

export type GateRefusal =
  | 'email_missing'
  | 'email_unverified'
  | 'no_account'
  | 'account_suspended'
  | 'link_mismatch';

export type GateDecision =
  | { allowed: true; account: CqrsAccount; linkedNow: boolean }
  | { allowed: false; reason: GateRefusal; account?: CqrsAccount };

export async function signInGate(accounts: AccountStore, identity: UpstreamIdentity): Promise<GateDecision> {
  const linked = await accounts.findByLink(identity.tenantId, identity.objectId);
  if (linked) {
    if (linked.status !== 'active') return { allowed: false, reason: 'account_suspended', account: linked };
    return { allowed: true, account: linked, linkedNow: false };
  }
  if (!identity.email) return { allowed: false, reason: 'email_missing' };
  const account = await accounts.findByEmail(identity.email);
  if (!account) return { allowed: false, reason: 'no_account' };
  if (account.upstreamOid !== null) {
    // Linked between our two reads: by a concurrent first sign-in of this same identity, or by another.
    const sameIdentity =
      account.upstreamTid === identity.tenantId && account.upstreamOid === identity.objectId;
    if (!sameIdentity) return { allowed: false, reason: 'link_mismatch', account };
    if (account.status !== 'active') return { allowed: false, reason: 'account_suspended', account };
    return { allowed: true, account, linkedNow: false };
  }
  if (account.status !== 'active') return { allowed: false, reason: 'account_suspended', account };
  if (identity.emailDomainVerified === false) return { allowed: false, reason: 'email_unverified', account };
  const linkedNow = await accounts.link(account.id, identity.tenantId, identity.objectId);
  if (!linkedNow) {
    // Another sign-in linked it between our read and our write: decide again by the stored link.
    const current = await accounts.findById(account.id);
    const sameIdentity =
      current?.upstreamTid === identity.tenantId && current?.upstreamOid === identity.objectId;
    if (!current || !sameIdentity) return { allowed: false, reason: 'link_mismatch', account };
    return { allowed: true, account: current, linkedNow: false };
  }
  return {
    allowed: true,
    account: { ...account, upstreamTid: identity.tenantId, upstreamOid: identity.objectId },
    linkedNow: true,
  };
}
