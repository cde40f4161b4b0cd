// Messages the CQRS app's message centre shows after sign-in. `odsCode` null means every user.

export interface SeedMessage {
  id: string;
  odsCode: string | null;
  subject: string;
  body: string;
  receivedAt: string;
}

export const seedMessages: readonly SeedMessage[] = [
  {
    id: 'msg-0001',
    odsCode: null,
    subject: 'Welcome to CQRS single sign-on',
    body: 'You now sign in to CQRS with your NHSmail account. Your CQRS account and data are unchanged.',
    receivedAt: '2026-09-01T09:00:00Z',
  },
  {
    id: 'msg-0002',
    odsCode: 'A81001',
    subject: 'QOF 2026/27 achievement declaration is open',
    body: 'Review and declare your QOF achievement for 2026/27 by the published deadline.',
    receivedAt: '2026-10-15T08:30:00Z',
  },
  {
    id: 'msg-0003',
    odsCode: 'QE1',
    subject: 'Practice approvals awaiting your review',
    body: 'Two practice declarations in your ICB are waiting for commissioner approval.',
    receivedAt: '2026-11-02T10:15:00Z',
  },
  {
    id: 'msg-0004',
    odsCode: 'A81001',
    subject: 'Payment calculation complete',
    body: 'The payment calculation for October 2026 has completed. Results are in the reports area.',
    receivedAt: '2026-11-10T14:00:00Z',
  },
];
