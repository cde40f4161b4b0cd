// The seeded personas of docs/design.md §3: one source for the mock IdP's NHSmail directory, the broker's
// CQRS accounts, the CQRS app's messages, the start-up table and the tests. Deterministic: every id
// below is fixed so that re-seeding and every test see the same world.

export const seededPassword = 'Passw0rd-2020';

/** A made-up Entra tenant id for the mock NHSmail tenant (not NHSmail's real one). */
export const mockTenantId = '7d0c5e1a-3b9f-4c2e-8a61-5f2d9b4e0c37';

export type NhsmailState = 'active' | 'locked' | 'disabled' | 'password_expired' | 'none';
export type CqrsAccountState = 'active' | 'suspended' | 'none';

export interface Organisation {
  odsCode: string;
  name: string;
  type: 'gp_practice' | 'icb';
  roles: string[];
}

export interface Persona {
  email: string;
  givenName: string;
  familyName: string;
  /** Entra object id of the NHSmail account (stable GUID). */
  oid: string;
  nhsmail: NhsmailState;
  mfaRequired: boolean;
  /** The broker's own account id: the `sub` it issues. */
  cqrsAccountId: string;
  cqrs: CqrsAccountState;
  organisations: Organisation[];
  /** What a tester sees when signing in as this persona with the right password. */
  outcome: string;
}

const practiceA81001: Organisation = {
  odsCode: 'A81001',
  name: 'The Densham Surgery',
  type: 'gp_practice',
  roles: ['practice_user'],
};

export const personas: readonly Persona[] = [
  {
    email: 'jane.smith@nhs.net',
    givenName: 'Jane',
    familyName: 'Smith',
    oid: '0b6f1c52-9d1e-4a7b-8c3f-1e2d3c4b5a61',
    nhsmail: 'active',
    mfaRequired: false,
    cqrsAccountId: 'c1a5e0d2-4b8f-4e3a-9c71-0f2e6d8b1a01',
    cqrs: 'active',
    organisations: [practiceA81001],
    outcome: 'CQRS message centre',
  },
  {
    email: 'tom.jones@nhs.net',
    givenName: 'Tom',
    familyName: 'Jones',
    oid: '1c7a2d63-0e2f-4b8c-9d4a-2f3e4d5c6b72',
    nhsmail: 'active',
    mfaRequired: false,
    cqrsAccountId: 'c1a5e0d2-4b8f-4e3a-9c71-0f2e6d8b1a02',
    cqrs: 'active',
    organisations: [
      {
        odsCode: 'QE1',
        name: 'NHS Lancashire and South Cumbria ICB',
        type: 'icb',
        roles: ['commissioner', 'user_administrator'],
      },
      { odsCode: 'P81002', name: 'Ash Tree Medical Practice', type: 'gp_practice', roles: ['commissioner'] },
      { odsCode: 'P81003', name: 'Beech House Surgery', type: 'gp_practice', roles: ['commissioner'] },
    ],
    outcome: 'CQRS message centre',
  },
  {
    email: 'no.cqrs@nhs.net',
    givenName: 'Noah',
    familyName: 'Cruz',
    oid: '2d8b3e74-1f3a-4c9d-8e5b-3a4f5e6d7c83',
    nhsmail: 'active',
    mfaRequired: false,
    cqrsAccountId: '',
    cqrs: 'none',
    organisations: [],
    outcome: 'broker "Authentication Error" (no CQRS account)',
  },
  {
    email: 'suspended.user@nhs.net',
    givenName: 'Sam',
    familyName: 'Patel',
    oid: '3e9c4f85-2a4b-4d0e-9f6c-4b5a6f7e8d94',
    nhsmail: 'active',
    mfaRequired: false,
    cqrsAccountId: 'c1a5e0d2-4b8f-4e3a-9c71-0f2e6d8b1a04',
    cqrs: 'suspended',
    organisations: [practiceA81001],
    outcome: 'broker "Authentication Error" (CQRS account suspended)',
  },
  {
    email: 'locked.user@nhs.net',
    givenName: 'Lee',
    familyName: 'Khan',
    oid: '4fad5096-3b5c-4e1f-8a7d-5c6b7a8f9ea5',
    nhsmail: 'locked',
    mfaRequired: false,
    cqrsAccountId: 'c1a5e0d2-4b8f-4e3a-9c71-0f2e6d8b1a05',
    cqrs: 'active',
    organisations: [practiceA81001],
    outcome: 'NHSmail "account locked" page',
  },
  {
    email: 'disabled.user@nhs.net',
    givenName: 'Dana',
    familyName: 'Evans',
    oid: '5abe61a7-4c6d-4f2a-9b8e-6d7c8b9a0fb6',
    nhsmail: 'disabled',
    mfaRequired: false,
    cqrsAccountId: 'c1a5e0d2-4b8f-4e3a-9c71-0f2e6d8b1a06',
    cqrs: 'active',
    organisations: [practiceA81001],
    outcome: 'NHSmail "account disabled" page',
  },
  {
    email: 'expired.password@nhs.net',
    givenName: 'Eve',
    familyName: 'Morgan',
    oid: '6bcf72b8-5d7e-4a3b-8c9f-7e8d9cab10c7',
    nhsmail: 'password_expired',
    mfaRequired: false,
    cqrsAccountId: 'c1a5e0d2-4b8f-4e3a-9c71-0f2e6d8b1a07',
    cqrs: 'active',
    organisations: [practiceA81001],
    outcome: 'NHSmail "change your password" page, then the message centre',
  },
  {
    email: 'mfa.user@nhs.net',
    givenName: 'Max',
    familyName: 'Fisher',
    oid: '7cd083c9-6e8f-4b4c-9dab-8f9eadbc21d8',
    nhsmail: 'active',
    mfaRequired: true,
    cqrsAccountId: 'c1a5e0d2-4b8f-4e3a-9c71-0f2e6d8b1a08',
    cqrs: 'active',
    organisations: [practiceA81001],
    outcome: 'NHSmail one-time code page, then the message centre',
  },
];

export function personaByEmail(email: string): Persona | undefined {
  const wanted = email.trim().toLowerCase();
  return personas.find((persona) => persona.email === wanted);
}

export function displayName(persona: Pick<Persona, 'givenName' | 'familyName'>): string {
  return `${persona.givenName} ${persona.familyName}`;
}
