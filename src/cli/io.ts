// What the command line talks to: streams passed in, so tests run `main` in-process and read its output.
import { terminalSafeJson, terminalText } from '../terminal-text.js';

export interface TextSink {
  write(chunk: string | Uint8Array): unknown;
}

export interface CliIo {
  stdout: TextSink;
  stderr: TextSink;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** A failure the command line reports as one line on stderr, with its exit status. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: typeof EXIT_FAILED | typeof EXIT_USAGE = EXIT_FAILED,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string): CliError => new CliError(message, EXIT_USAGE);

/** One line for a person: a control character in it (a \n too) is shown as \xNN, never acted on. */
export function writeLine(sink: TextSink, line: string): void {
  sink.write(`${terminalText(line.endsWith('\n') ? line.slice(0, -1) : line)}\n`);
}

/** Lines of our own making (a table, the help): each one as writeLine shows it; a table's cells are escaped already. */
export function writeLines(sink: TextSink, text: string): void {
  for (const line of text.replace(/\n$/, '').split('\n')) writeLine(sink, line);
}

/** JSON for programs: the text as it came, DEL and C1 as \u escapes (what JSON itself does for C0). */
export function writeJson(sink: TextSink, value: unknown, indent = 2): void {
  sink.write(`${terminalSafeJson(JSON.stringify(value, null, indent))}\n`);
}
