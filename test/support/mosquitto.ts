// Debian's mosquitto, started on a free loopback port with a config file of our own.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:net';
import { freePort } from './free-port.js';
import { tempDir } from './agent-process.js';
import { waitFor } from './wait-for.js';

export interface Mosquitto {
  port: number;
  url: string;
  stop(): Promise<void>;
  restart(): Promise<void>;
}

export async function startMosquitto(extraConfig = '', options: { anonymous?: boolean } = {}): Promise<Mosquitto> {
  const dir = tempDir('sma-mosq-');
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  const anonymous = options.anonymous ?? true;
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous ${anonymous}\npersistence true\npersistence_location ${dir}/\n${extraConfig}\n`);
  let child: ChildProcess;
  const launch = async (): Promise<void> => {
    child = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' });
    await waitFor('mosquitto listening', () => canConnect(port), 10_000);
  };
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await gone;
  };
  await launch();
  return { port, url: `mqtt://127.0.0.1:${port}`, stop, restart: async () => { await stop(); await launch(); } };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
