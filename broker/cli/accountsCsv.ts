// `cqrs-broker accounts import|export`: accounts in bulk as CSV (format in csv.ts and
// docs/administration.md). Import validates every row and writes each in its own transaction, so one
// bad row is reported with its row number and never stops or half-writes the others.
import fs from 'node:fs/promises';
import path from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { parseAccountInput } from '../accounts/accountInput.ts';
import { AccountStore, normaliseEmail } from '../accounts/accountStore.ts';
import { AccountAdministration, type ImportOutcome } from '../accounts/administration.ts';
import { CliError, failureReason, withBroker } from './context.ts';
import { accountsToCsv, type CsvRow, decodeOrganisations, errorsToCsv, readAccountsCsv } from './csv.ts';
import { note, print } from './output.ts';

/** Exit code of an import that finished but left some rows out (1 means the command itself failed). */
export const importHadFailures = 2;

interface RowError {
  row: number;
  email: string;
  reason: string;
}

/** Turns one CSV row into a validated account, or the reason it is refused. */
function validateRow(csvRow: CsvRow) {
  if (csvRow.error) return { ok: false as const, reason: csvRow.error };
  const { fields } = csvRow;
  const organisations = decodeOrganisations(fields.organisations ?? '');
  if ('error' in organisations) return { ok: false as const, reason: organisations.error };
  const status = (fields.status ?? '').trim().toLowerCase();
  return parseAccountInput({
    email: fields.email ?? '',
    givenName: fields.given_name ?? '',
    familyName: fields.family_name ?? '',
    // An empty status keeps an existing account's status; a new account starts active.
    status: status === '' ? undefined : status,
    organisations,
  });
}

async function readFileOrFail(file: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(
      `cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
    );
  }
}

function progressBar(total: number): { tick(failed: number): void; stop(): void } {
  // A bar only for a person watching: in a pipe or a log it would be noise, and the summary suffices.
  if (!process.stderr.isTTY) return { tick() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: 'Importing [{bar}] {value}/{total} rows, {failed} failed',
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { failed: 0 });
  return {
    tick: (failed) => bar.increment(1, { failed }),
    stop: () => bar.stop(),
  };
}

async function importAccounts(file: string): Promise<void> {
  const rows = readAccountsCsv(await readFileOrFail(file));
  const errorsFile = `${file}.errors.csv`;
  await withBroker(async ({ db, actor }) => {
    const administration = new AccountAdministration(db, actor);
    const counts: Record<ImportOutcome, number> = { created: 0, updated: 0, unchanged: 0 };
    const errors: RowError[] = [];
    const firstRowOf = new Map<string, number>();
    const bar = progressBar(rows.length);
    for (const csvRow of rows) {
      const email = (csvRow.fields.email ?? '').trim();
      const fail = (reason: string) => errors.push({ row: csvRow.row, email, reason });
      // The first row with an email wins, valid or not: a later one would silently overwrite it.
      const key = normaliseEmail(email);
      const duplicateOf = firstRowOf.get(key);
      if (key !== '' && duplicateOf === undefined) firstRowOf.set(key, csvRow.row);
      const validated = validateRow(csvRow);
      if (duplicateOf !== undefined) fail(`duplicate: ${key} is already in row ${duplicateOf}`);
      else if (!validated.ok) fail(validated.reason);
      else {
        try {
          const { outcome } = await administration.importAccount(validated.account, path.basename(file));
          counts[outcome] += 1;
        } catch (error) {
          fail(`not saved: ${failureReason(error)}`);
        }
      }
      bar.tick(errors.length);
    }
    bar.stop();

    for (const error of errors) note(`row ${error.row} (${error.email || 'no email'}): ${error.reason}`);
    if (errors.length > 0) await fs.writeFile(errorsFile, errorsToCsv(errors), { mode: 0o600 });
    // A report left over from an earlier run would describe rows that have since imported.
    else await fs.rm(errorsFile, { force: true });
    const summary =
      `Imported ${path.basename(file)}: ${rows.length} row(s); ${counts.created} created, ` +
      `${counts.updated} updated, ${counts.unchanged} unchanged, ${errors.length} failed`;
    print(errors.length > 0 ? `${summary} (listed in ${errorsFile}).` : `${summary}.`);
    if (errors.length > 0) process.exitCode = importHadFailures;
  });
}

export function registerAccountCsvCommands(accounts: Command): void {
  accounts
    .command('import')
    .description('create or update accounts from a CSV file; failed rows are listed in <file>.errors.csv')
    .argument(
      '<file.csv>',
      'columns email,given_name,family_name,status,organisations (see docs/administration.md)',
    )
    .action(importAccounts);

  accounts
    .command('export')
    .description('write every account as CSV, in the format import reads')
    .argument('[file.csv]', 'where to write (default: standard output)')
    .action(async (file: string | undefined) => {
      await withBroker(async ({ db }) => {
        const accounts = await new AccountStore(db).list();
        const csv = accountsToCsv(accounts);
        if (file === undefined) return void process.stdout.write(csv);
        // Names and emails are personal data: readable by the owner only.
        await fs.writeFile(file, csv, { mode: 0o600 });
        print(`Exported ${accounts.length} account(s) to ${file}.`);
      });
    });
}
