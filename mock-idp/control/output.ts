// How the mock-idp CLI prints control API answers for people: aligned plain-text tables that read
// well in a terminal and in a CI log (no colours, no box drawing).
import type { AccountView, ArmedView, AttemptView, ScenarioView } from './client.ts';

export function table(headers: readonly string[], rows: readonly string[][]): string {
  if (rows.length === 0) return '(none)';
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

function lockDescription(account: AccountView): string {
  if (account.lockedUntil) return `until ${account.lockedUntil}`;
  return account.locked ? 'yes' : 'no';
}

export function accountsTable(accounts: readonly AccountView[]): string {
  return table(
    ['USER ID', 'NAME', 'STATE', 'LOCKED', 'FAILED', 'MFA CODE'],
    accounts.map((account) => [
      account.email,
      `${account.givenName} ${account.familyName}`,
      account.state,
      lockDescription(account),
      String(account.failedAttempts),
      account.mfaRequired ? account.mfaCode : '-',
    ]),
  );
}

export function accountDetails(account: AccountView): string {
  const rows: Array<[string, string]> = [
    ['User ID', account.email],
    ['Name', `${account.givenName} ${account.familyName}`],
    ['Object id (oid)', account.oid],
    ['State', account.state],
    ['Locked', lockDescription(account)],
    ['Failed passwords', String(account.failedAttempts)],
    ['MFA required', account.mfaRequired ? 'yes' : 'no'],
    ['One-time code', account.mfaCode],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
}

export function scenariosTables(answer: { scenarios: readonly ScenarioView[]; armed: readonly ArmedView[] }) {
  const catalogue = table(
    ['SCENARIO', 'ENTRA CODE', 'STAGE', 'WHAT HAPPENS'],
    answer.scenarios.map((scenario) => [
      scenario.name,
      scenario.aadsts ?? '-',
      scenario.stage,
      scenario.summary,
    ]),
  );
  const armed = table(
    ['ID', 'FOR', 'SCENARIO', 'ARMED AT'],
    answer.armed.map((entry) => [
      String(entry.id),
      entry.target === '*' ? 'anyone' : entry.target,
      entry.scenario,
      new Date(entry.createdAt).toISOString(),
    ]),
  );
  return `Failure catalogue\n\n${catalogue}\n\nArmed for the next sign-in\n\n${armed}`;
}

export function attemptsTable(attempts: readonly AttemptView[]): string {
  return table(
    ['AT', 'USER ID', 'OUTCOME', 'CODE', 'CLIENT', 'CORRELATION ID'],
    attempts.map((attempt) => [
      attempt.at,
      attempt.email,
      attempt.outcome,
      attempt.errorCode ?? '-',
      attempt.clientId ?? '-',
      attempt.correlationId ?? '-',
    ]),
  );
}
