// Table rendering and cell formats, table-driven.
import { describe, expect, it } from 'vitest';
import { formatAddress, formatBytes, formatDuration, formatPercent } from '../../src/cli/cell-format.js';
import { batchColumns } from '../../src/cli/services-command.js';
import { cellText, renderTable, type Column } from '../../src/cli/table.js';

type Row = { name: string; n?: number; note?: string };
const columns: Column<Row>[] = [
  { header: 'NAME', cell: (r) => r.name },
  { header: 'N', cell: (r) => r.n, align: 'right' },
  { header: 'NOTE', cell: (r) => r.note },
];

describe('renderTable', () => {
  const cases: Array<[string, Row[], boolean, string]> = [
    ['header only when there are no rows', [], true, 'NAME  N  NOTE'],
    [
      'pads to the widest cell, right-aligns numbers, no trailing blanks',
      [
        { name: 'core-data', n: 3, note: 'ok' },
        { name: 'x', n: 120 },
      ],
      true,
      ['NAME         N  NOTE', 'core-data    3  ok', 'x          120  -'].join('\n'),
    ],
    ['without header', [{ name: 'agent', note: 'gw-1' }], false, 'agent  -  gw-1'],
    ['one line per row even with newlines: shown as \\x0a', [{ name: 'a', n: 1, note: 'line1\nline2' }], false, 'a  1  line1\\x0aline2'],
    ['a tab as a space, so columns stay aligned', [{ name: 'a', n: 1, note: 'x\ty' }], false, 'a  1  x y'],
  ];
  it.each(cases)('%s', (_, rows, header, expected) => {
    expect(renderTable(columns, rows, { header })).toBe(expected);
  });

  it('renders a batch with its error column', () => {
    const text = renderTable(batchColumns, [
      { name: 'a', result: 'OK', status: 'RUNNING' },
      { name: 'ghost', result: 'NOT_FOUND', status: 'UNKNOWN', error: { code: 'NOT_FOUND', message: 'no service named ghost' } },
    ]);
    expect(text.split('\n')).toEqual([
      'NAME   RESULT     STATUS   ERROR',
      'a      OK         RUNNING  -',
      'ghost  NOT_FOUND  UNKNOWN  NOT_FOUND: no service named ghost',
    ]);
  });
});

describe('cell formats', () => {
  const cells: Array<[unknown, string]> = [
    [undefined, '-'],
    [null, '-'],
    ['', '-'],
    [0, '0'],
    [false, 'false'],
    // Remote text's escape sequences shown, not acted on (src/terminal-text.ts).
    ['\u001b[31mred\u001b[0m', '\\x1b[31mred\\x1b[0m'],
    ['\u009b2J\u007f', '\\x9b2J\\x7f'],
  ];
  it.each(cells)('cellText(%j) = %j', (value, text) => {
    expect(cellText(value as string)).toBe(text);
  });

  const formats: Array<[string, string | undefined]> = [
    [String(formatBytes(0)), '0 B'],
    [String(formatBytes(1536)), '1.5 KiB'],
    [String(formatBytes(52_428_800)), '50.0 MiB'],
    [String(formatBytes(-1)), 'undefined'],
    [String(formatDuration(45)), '45s'],
    [String(formatDuration(725)), '12m05s'],
    [String(formatDuration(3 * 3600 + 7 * 60 + 9)), '3h07m'],
    [String(formatDuration(2 * 86_400 + 4 * 3600)), '2d04h'],
    [String(formatDuration('x')), 'undefined'],
    [String(formatPercent(12.345)), '12.3'],
    [String(formatAddress('10.0.0.2', 48080)), '10.0.0.2:48080'],
    [String(formatAddress('fe80::1', 80)), '[fe80::1]:80'],
    [String(formatAddress('host', undefined)), 'host'],
    [String(formatAddress(undefined, undefined)), 'undefined'],
  ];
  it.each(formats)('%s', (actual, expected) => {
    expect(actual).toBe(expected);
  });
});
