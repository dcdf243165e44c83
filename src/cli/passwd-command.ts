// `sma-bridge passwd`: a password on stdin -> `scrypt$N$r$p$salt$hash` for mqtt.broker.users[].passwordHash.
import { hashPassword } from '../security/password-hash.js';
import { CliError, EXIT_OK, usageError, writeLine, type CliIo } from './io.js';
import { readHidden, readLine } from './password-input.js';

async function readPassword(io: CliIo): Promise<string> {
  if (!io.stdin.isTTY) return readLine(io.stdin);
  const first = await readHidden(io, 'Password: ');
  const again = await readHidden(io, 'Again: ');
  if (first !== again) throw new CliError('the two passwords differ');
  return first;
}

export async function runPasswd(io: CliIo): Promise<number> {
  const password = await readPassword(io);
  if (password === '') throw usageError('no password given on stdin');
  writeLine(io.stdout, await hashPassword(password));
  return EXIT_OK;
}
