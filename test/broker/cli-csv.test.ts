// The accounts CSV format in-process: files as spreadsheets save them (BOM, CRLF, quoted line breaks)
// read with the right row numbers, and the organisation encodings decode what they encode.
import test from 'ava';
import { parseAccountInput } from '../../broker/accounts/accountInput.ts';
import {
  decodeOrganisation,
  decodeOrganisations,
  encodeOrganisations,
  readAccountsCsv,
} from '../../broker/cli/csv.ts';

test('a spreadsheet export (BOM, CRLF, a quoted line break, blank lines) reads with the line each row starts on', (t) => {
  const text =
    '\uFEFFEmail,Given_Name,family_name\r\n' +
    'a@nhs.net,A,B\r\n' +
    '"b@nhs.net","Two\r\nLines",C\r\n' +
    '\r\n' +
    'c@nhs.net,D\r\n';
  const rows = readAccountsCsv(text);
  t.deepEqual(
    rows.map((row) => [row.row, row.fields.email, row.error]),
    [
      [2, 'a@nhs.net', undefined],
      [3, 'b@nhs.net', undefined],
      [6, 'c@nhs.net', 'expected 3 fields, found 2'],
    ],
  );
  t.is(rows[1]?.fields.given_name, 'Two\r\nLines');
});

test('organisations: the CSV and command-line encodings decode what they encode', (t) => {
  const organisations = [
    {
      odsCode: 'QE1',
      name: 'NHS Lancashire and South Cumbria ICB',
      type: 'icb',
      roles: ['commissioner', 'user_administrator'],
    },
    { odsCode: 'A81001', name: 'The Densham Surgery', type: 'gp_practice', roles: ['practice_user'] },
  ];
  t.deepEqual(decodeOrganisations(encodeOrganisations(organisations)), organisations);
  t.deepEqual(decodeOrganisations(''), []);
  t.deepEqual(decodeOrganisations('A81001|Densham|gp_practice|practice_user;'), {
    error: 'organisation 2 is empty (stray ";")',
  });
  t.deepEqual(decodeOrganisation('Y01:Clinic: North:gp_practice:a, b', ':'), {
    odsCode: 'Y01',
    name: 'Clinic: North',
    type: 'gp_practice',
    roles: ['a', 'b'],
  });
});

test('account validation names every problem in one sentence and normalises what it accepts', (t) => {
  const accepted = parseAccountInput({
    email: ' Jane.Smith@NHS.net ',
    givenName: ' Jane ',
    familyName: 'Smith',
    organisations: [
      { odsCode: 'a81001', name: 'Densham', type: 'gp_practice', roles: ['practice_user', 'practice_user'] },
    ],
  });
  t.deepEqual(accepted, {
    ok: true,
    account: {
      email: 'jane.smith@nhs.net',
      givenName: 'Jane',
      familyName: 'Smith',
      organisations: [{ odsCode: 'A81001', name: 'Densham', type: 'gp_practice', roles: ['practice_user'] }],
    },
  });
  const refused = parseAccountInput({
    email: 'jane',
    givenName: '',
    familyName: 'Smith',
    status: 'locked',
    organisations: [
      { odsCode: 'A81001', name: 'A; B', type: 'gp_practice', roles: [] },
      { odsCode: 'A81001', name: 'Densham', type: 'gp_practice', roles: ['practice_user'] },
    ],
  });
  t.deepEqual(refused, {
    ok: false,
    reason:
      'not a valid email address; given name is empty; status must be active or suspended; ' +
      'organisation name may not contain | or ;; an organisation needs at least one role; ' +
      'ODS code A81001 is listed twice',
  });
});
