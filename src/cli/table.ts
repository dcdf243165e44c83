// Aligned plain-text tables for people; programs use --json.
import { terminalText } from '../terminal-text.js';

export type Cell = string | number | boolean | null | undefined;

export interface Column<Row> {
  header: string;
  cell: (row: Row) => Cell;
  align?: 'left' | 'right';
}

export interface TableOptions {
  /** Print the header line (off for key/value listings). */
  header?: boolean;
}

const EMPTY = '-';

/** One line per row even when a value holds newlines, and no terminal escapes from remote text: both shown as \xNN. */
export function cellText(value: Cell): string {
  if (value === undefined || value === null || value === '') return EMPTY;
  return terminalText(String(value).replace(/\t/g, ' ')).trim() || EMPTY;
}

export function renderTable<Row>(columns: readonly Column<Row>[], rows: readonly Row[], options: TableOptions = {}): string {
  const lines: string[][] = rows.map((row) => columns.map((c) => cellText(c.cell(row))));
  if (options.header !== false) lines.unshift(columns.map((c) => c.header));
  const widths = columns.map((_, i) => Math.max(0, ...lines.map((l) => l[i].length)));
  return lines
    .map((l) =>
      l
        .map((text, i) => (columns[i].align === 'right' ? text.padStart(widths[i]) : text.padEnd(widths[i])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
