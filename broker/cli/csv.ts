// The accounts CSV format shared by `accounts import` and `accounts export`, and the organisation
// encodings: `ODS|name|type|role,role` joined with `;` in a CSV cell, `ODS:name:type:role,role` on
// the command line. Export writes exactly what import reads, so the two round-trip.
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import type { CqrsAccount, Organisation } from '../accounts/accountStore.ts';
import { CliError } from './context.ts';

export const csvColumns = ['email', 'given_name', 'family_name', 'status', 'organisations'] as const;
export type CsvColumn = (typeof csvColumns)[number];
const requiredColumns: readonly CsvColumn[] = ['email', 'given_name', 'family_name'];

/**
 * One organisation from `ODS<sep>name<sep>type<sep>roles`. The name is everything between the first
 * and the last two separators, so a `:` inside a name given on the command line survives.
 */
export function decodeOrganisation(text: string, separator: string): Organisation | { error: string } {
  const parts = text.split(separator);
  if (parts.length < 4)
    return { error: `"${text}" is not ODS${separator}name${separator}type${separator}roles` };
  const odsCode = parts[0] ?? '';
  const roles = parts[parts.length - 1] ?? '';
  const type = parts[parts.length - 2] ?? '';
  const name = parts.slice(1, -2).join(separator);
  return {
    odsCode,
    name,
    type,
    roles: roles
      .split(',')
      .map((role) => role.trim())
      .filter((role) => role !== ''),
  };
}

export function decodeOrganisations(cell: string): Organisation[] | { error: string } {
  if (cell.trim() === '') return [];
  const organisations: Organisation[] = [];
  for (const [index, text] of cell.split(';').entries()) {
    if (text.trim() === '') return { error: `organisation ${index + 1} is empty (stray ";")` };
    const decoded = decodeOrganisation(text, '|');
    if ('error' in decoded) return { error: `organisation ${index + 1}: ${decoded.error}` };
    organisations.push(decoded);
  }
  return organisations;
}

export function encodeOrganisations(organisations: readonly Organisation[]): string {
  return organisations
    .map((organisation) =>
      [organisation.odsCode, organisation.name, organisation.type, organisation.roles.join(',')].join('|'),
    )
    .join(';');
}

export function accountsToCsv(accounts: readonly CqrsAccount[]): string {
  for (const account of accounts) {
    const unsafe = account.organisations.find((organisation) => /[|;]/.test(organisation.name));
    // Such a name cannot come through the CLI; refuse rather than write a file that imports differently.
    if (unsafe)
      throw new CliError(
        `cannot export ${account.email}: organisation name "${unsafe.name}" contains | or ;`,
      );
  }
  return stringify(
    accounts.map((account) => [
      account.email,
      account.givenName,
      account.familyName,
      account.status,
      encodeOrganisations(account.organisations),
    ]),
    { header: true, columns: [...csvColumns], record_delimiter: 'unix' },
  );
}

export interface CsvRow {
  /** The file line where the row starts (the header is row 1): a spreadsheet's row number for ordinary files. */
  row: number;
  fields: Partial<Record<CsvColumn, string>>;
  /** Set when the row has the wrong number of fields. */
  error?: string;
}

/**
 * Line numbers by byte offset, counting `\r\n`, `\n` and a lone `\r` as one line break each, as
 * editors do. (csv-parse's own `info.lines` counts a quoted `\r\n` as two lines.)
 */
function lineCounter(bytes: Buffer): (offset: number) => number {
  let position = 0;
  let line = 1;
  return (offset) => {
    for (; position < offset; position += 1) {
      const byte = bytes[position];
      if (byte === 0x0a || (byte === 0x0d && bytes[position + 1] !== 0x0a)) line += 1;
    }
    return line;
  };
}

/** Parses the whole file up front: a broken header or an unclosed quote stops the import before any write. */
export function readAccountsCsv(text: string): CsvRow[] {
  const bytes = Buffer.from(text, 'utf8');
  let records: Array<{ record: string[]; info: { bytes: number } }>;
  try {
    // The sync parser's types ignore `info: true`, which wraps each record with its end offset.
    records = parse(bytes, {
      bom: true,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
    }) as unknown as typeof records;
  } catch (error) {
    throw new CliError(`not a readable CSV file: ${(error as Error).message}`);
  }
  const [header, ...rows] = records;
  if (!header) throw new CliError('the file is empty: expected a header line');
  const columns = header.record.map((name) => name.trim().toLowerCase());
  for (const [index, name] of columns.entries()) {
    if (!(csvColumns as readonly string[]).includes(name))
      throw new CliError(`unknown column "${name}" in the header; expected ${csvColumns.join(',')}`);
    if (columns.indexOf(name) !== index) throw new CliError(`column "${name}" appears twice in the header`);
  }
  const missing = requiredColumns.filter((name) => !columns.includes(name));
  if (missing.length > 0) throw new CliError(`the header lacks the column(s) ${missing.join(', ')}`);
  const lineAt = lineCounter(bytes);
  let previousEnd = header.info.bytes;
  return rows.map(({ record, info }) => {
    // A record starts where the previous one ended, after any blank lines the parser skipped; its
    // line there is its row number, even when a quoted cell spans several lines.
    let start = previousEnd;
    while (bytes[start] === 0x0d || bytes[start] === 0x0a) start += 1;
    previousEnd = info.bytes;
    const row = lineAt(start);
    const fields: CsvRow['fields'] = {};
    for (const [index, name] of columns.entries()) fields[name as CsvColumn] = record[index];
    if (record.length !== columns.length)
      return { row, fields, error: `expected ${columns.length} fields, found ${record.length}` };
    return { row, fields };
  });
}

export function errorsToCsv(errors: ReadonlyArray<{ row: number; email: string; reason: string }>): string {
  return stringify(
    errors.map((error) => [String(error.row), error.email, error.reason]),
    { header: true, columns: ['row', 'email', 'reason'], record_delimiter: 'unix' },
  );
}
