// What the command line talks to: streams passed in, so tests run `main` in-process and read its output.
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

export function writeLine(sink: TextSink, line: string): void {
  sink.write(line.endsWith('\n') ? line : `${line}\n`);
}

export function writeJson(sink: TextSink, value: unknown): void {
  writeLine(sink, JSON.stringify(value, null, 2));
}
