// Debian's mosquitto with `log_type all` to a file: its log shows each CONNECT's flags (clean session,
// will QoS and retain, will topic), each SUBSCRIBE's QoS and each PUBLISH's QoS and retain flag, which a
// subscriber cannot see. The directory is world-writable because mosquitto drops root for its own user.
import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './agent-process.js';
import { startMosquitto, type Mosquitto } from './mosquitto.js';

export interface LoggedMosquitto extends Mosquitto {
  log(): string;
}

export async function startLoggedMosquitto(): Promise<LoggedMosquitto> {
  const dir = tempDir('sma-mosq-log-');
  chmodSync(dir, 0o777);
  const file = join(dir, 'mosquitto.log');
  const broker = await startMosquitto(`log_dest file ${file}\nlog_type all\n`);
  return {
    ...broker,
    log: () => {
      try {
        return readFileSync(file, 'utf8');
      } catch {
        return '';
      }
    },
  };
}
