// What of a command's body the journal writes to disk. Secrets (an artifact's HTTP Basic credentials, object 9's
// User Name and Password) are left out: the journal keeps a command to answer its repeats and to run a queued one
// after a crash, and neither is worth a password at rest. A command a crash left queued runs without them (its
// download is then refused by the server: FAILED with DOWNLOAD), as the command's sender would see it.
import { isPlainObject as isObject } from '../model.js';
import type { Command } from './command.js';

/** `command` as it may be journaled: `auth` gone from its body and its body's `artifact`. */
export function journaledCommand(command: Command): Command {
  const body = command.body;
  if (!isObject(body)) return command;
  const artifact = body.artifact;
  if (!('auth' in body) && !(isObject(artifact) && 'auth' in artifact)) return command;
  const { auth: _dropped, ...rest } = body;
  if (isObject(artifact)) {
    const { auth: _alsoDropped, ...kept } = artifact;
    rest.artifact = kept;
  }
  return { ...command, body: rest };
}
