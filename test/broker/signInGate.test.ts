// The account gate's decisions when sign-ins race: two first sign-ins of one NHSmail identity both get
// in (the second finds the link the first just made), while another identity is still refused.
import test from 'ava';
import type { AccountStore, CqrsAccount } from '../../broker/accounts/accountStore.ts';
import { signInGate } from '../../broker/accounts/signInGate.ts';
import type { UpstreamIdentity } from '../../broker/upstream/connector.ts';

const tenantId = '7d0c5e1a-3b9f-4c2e-8a61-5f2d9b4e0c37';
const identity: UpstreamIdentity = {
  tenantId,
  objectId: '1c7a2d63-0e2f-4b8c-9d4a-2f3e4d5c6b72',
  email: 'tom.jones@nhs.net',
  name: 'Tom Jones',
  sessionId: undefined,
  issuer: `http://127.0.0.1:1/${tenantId}/v2.0`,
};

function account(overrides: Partial<CqrsAccount>): CqrsAccount {
  return {
    id: 'c1a5e0d2-4b8f-4e3a-9c71-0f2e6d8b1a02',
    email: 'tom.jones@nhs.net',
    givenName: 'Tom',
    familyName: 'Jones',
    status: 'active',
    upstreamTid: null,
    upstreamOid: null,
    linkedAt: null,
    organisations: [],
    ...overrides,
  };
}

/** A store seen between a concurrent sign-in's link and our reads: not found by link, linked by email. */
function storeLinkedBetweenReads(linked: CqrsAccount): AccountStore {
  return {
    findByLink: async () => undefined,
    findByEmail: async () => linked,
    findById: async () => linked,
    link: async () => false,
  } as Pick<AccountStore, 'findByLink' | 'findByEmail' | 'findById' | 'link'> as AccountStore;
}

test('a first sign-in racing another of the same identity is let in, not refused as a mismatch', async (t) => {
  const linked = account({ upstreamTid: tenantId, upstreamOid: identity.objectId, linkedAt: 1 });
  const decision = await signInGate(storeLinkedBetweenReads(linked), identity);
  t.like(decision, { allowed: true, linkedNow: false });
});

test('an account linked to another identity between the reads is still a link mismatch', async (t) => {
  const linked = account({ upstreamTid: tenantId, upstreamOid: '99999999-0000-4000-8000-000000000000' });
  const decision = await signInGate(storeLinkedBetweenReads(linked), identity);
  t.like(decision, { allowed: false, reason: 'link_mismatch' });
});

test('a suspended account linked between the reads stays refused as suspended', async (t) => {
  const linked = account({ status: 'suspended', upstreamTid: tenantId, upstreamOid: identity.objectId });
  const decision = await signInGate(storeLinkedBetweenReads(linked), identity);
  t.like(decision, { allowed: false, reason: 'account_suspended' });
});
