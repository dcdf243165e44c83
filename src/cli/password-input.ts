// Reading a password: a line from a pipe, or typed at a terminal without echo.
import { CliError, type CliIo } from './io.js';

/** The first line of a non-terminal stream (or all of it when it has no newline). */
export function readLine(stdin: CliIo['stdin']): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const finish = (): void => {
      stdin.off('data', onData);
      stdin.off('end', finish);
      stdin.off('error', onError);
      stdin.pause();
      resolve(text.split(/\r?\n/)[0]);
    };
    const onData = (chunk: Buffer | string): void => {
      text += chunk.toString();
      if (text.includes('\n')) finish();
    };
    const onError = (err: Error): void => reject(new CliError(`cannot read stdin: ${err.message}`));
    stdin.on('data', onData);
    stdin.once('end', finish);
    stdin.once('error', onError);
    stdin.resume();
  });
}

/** Reads keys in raw mode so the password is not shown; Ctrl-C cancels. */
export function readHidden(io: CliIo, prompt: string): Promise<string> {
  const { stdin } = io;
  io.stderr.write(prompt);
  stdin.setRawMode?.(true);
  return new Promise((resolve, reject) => {
    let text = '';
    const done = (outcome: () => void): void => {
      stdin.off('data', onData);
      stdin.setRawMode?.(false);
      stdin.pause();
      io.stderr.write('\n');
      outcome();
    };
    const onData = (chunk: Buffer | string): void => {
      for (const ch of chunk.toString()) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return done(() => resolve(text));
        if (ch === '\u0003') return done(() => reject(new CliError('cancelled')));
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else text += ch;
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}
