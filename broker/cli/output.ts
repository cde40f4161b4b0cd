// How the CLI prints: aligned tables and key-value blocks for people, JSON for scripts, times in UTC.

export function print(text = ''): void {
  process.stdout.write(`${text}\n`);
}

/** Notes for the person at the keyboard go to stderr, so that stdout stays clean for pipes. */
export function note(text: string): void {
  process.stderr.write(`${text}\n`);
}

export function printJson(value: unknown): void {
  print(JSON.stringify(value, null, 2));
}

/** Epoch milliseconds as `2025-06-01 09:30:00Z`: unambiguous and sortable. */
export function formatTime(milliseconds: number | null | undefined): string {
  if (milliseconds === null || milliseconds === undefined) return '-';
  return new Date(milliseconds)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, 'Z');
}

export function isoTime(milliseconds: number | null | undefined): string | null {
  return milliseconds === null || milliseconds === undefined ? null : new Date(milliseconds).toISOString();
}

/** Columns padded to their widest cell; the last column is not padded so lines carry no trailing spaces. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers.map((header) => header.toUpperCase())), ...rows.map(line)].join('\n');
}

export function printTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  empty: string,
): void {
  print(rows.length === 0 ? empty : formatTable(headers, rows));
}

/** `Label:   value` lines with the values aligned. */
export function printFields(fields: ReadonlyArray<readonly [string, string]>): void {
  const width = Math.max(...fields.map(([label]) => label.length)) + 1;
  for (const [label, value] of fields) print(`${`${label}:`.padEnd(width)}  ${value}`);
}
