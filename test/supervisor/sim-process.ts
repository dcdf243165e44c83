// Starts firmware-sim/service.js as a real child process for tests, and finds free ports.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const SIM_SERVICE = fileURLToPath(new URL('../../firmware-sim/service.js', import.meta.url));

export interface Sim {
  proc: ChildProcess;
  port: number;
  url(path: string): string;
  post(path: string): Promise<number>;
  stop(): Promise<void>;
}

/** Spawns the simulated service and resolves once it prints `listening <port>`. */
export function spawnSim(args: string[] = []): Promise<Sim> {
  const proc = spawn(process.execPath, [SIM_SERVICE, '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.once('error', reject);
    proc.once('exit', (code) => reject(new Error(`sim service exited early (${code})`)));
    proc.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening (\d+)/.exec(out);
      if (!match) return;
      const port = Number(match[1]);
      resolve({
        proc,
        port,
        url: (path) => `http://127.0.0.1:${port}${path}`,
        post: async (path) => (await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST' })).status,
        stop: () => stopProcess(proc),
      });
    });
  });
}

export function stopProcess(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    proc.once('exit', () => resolve());
    proc.kill('SIGKILL');
  });
}

/** A port nothing listens on right now (the OS picked it free, then we let it go). */
export { freePort } from '../support/free-port.js';

/** True while a process with this pid exists and is not a zombie waiting to be reaped. */
export function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
