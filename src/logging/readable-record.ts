// A log record on its way to pino-pretty: every string, keys too, as terminalText shows it. pino-pretty
// (13.2) strips most control characters from a message but keeps \n, so a device id or a service's text
// could still draw a line the agent never logged; it prints the other fields as JSON, where DEL and C1 stay
// raw. Shown as \xNN instead, a person sees what was sent. A stack keeps its line breaks (pino-pretty indents
// each line under its record); each line is escaped.
import { terminalText } from '../terminal-text.js';

/** Deeper than any record of ours; below it a value is shown as its JSON text. */
const MAX_DEPTH = 8;

export function readableRecord(value: unknown, key = '', depth = 0): unknown {
  if (typeof value === 'string') return key === 'stack' ? value.split('\n').map(terminalText).join('\n') : terminalText(value);
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_DEPTH) return terminalText(JSON.stringify(value));
  if (Array.isArray(value)) return value.map((v) => readableRecord(v, '', depth + 1));
  // A null-prototype record: a key "__proto__" from the log line stays a key.
  const out = Object.create(null) as Record<string, unknown>;
  for (const [k, v] of Object.entries(value)) out[terminalText(k)] = readableRecord(v, k, depth + 1);
  return out;
}

/** pino's streamWrite hook for pretty output: one JSON line in, the same record made readable out. */
export const readableLine = (line: string): string => `${JSON.stringify(readableRecord(JSON.parse(line)))}\n`;
