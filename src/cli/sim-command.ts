// `sma-bridge sim ...`: runs firmware-sim/sim.js (shipped beside dist/) as a child, arguments passed through.
import { spawn } from 'node:child_process';
import { access } from 'node:fs/promises';
import { constants as os } from 'node:os';
import { fileURLToPath } from 'node:url';
import { CliError, type CliIo } from './io.js';

/** src/cli and dist/cli sit at the same depth, so this is the package root's firmware-sim/ from both. */
export const defaultSimUrl = (): URL => new URL('../../firmware-sim/sim.js', import.meta.url);

const FORWARDED = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

export async function runSim(args: readonly string[], io: CliIo, simUrl: URL = defaultSimUrl()): Promise<number> {
  const simPath = fileURLToPath(simUrl);
  try {
    await access(simPath);
  } catch {
    throw new CliError(`the firmware simulator is not installed: ${simPath} is missing`);
  }
  const child = spawn(process.execPath, [simPath, ...args], { stdio: ['inherit', 'pipe', 'pipe'] });
  child.stdout.on('data', (chunk: Buffer) => io.stdout.write(chunk));
  child.stderr.on('data', (chunk: Buffer) => io.stderr.write(chunk));
  // The simulator decides how to stop; this process only passes signals on and waits for it.
  const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
  for (const s of FORWARDED) process.on(s, forward);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.once('error', (err) => reject(new CliError(`cannot run the firmware simulator: ${err.message}`)));
      child.once('close', (code, signal) => resolve(code ?? (signal ? 128 + (os.signals[signal] ?? 0) : 1)));
    });
  } finally {
    for (const s of FORWARDED) process.off(s, forward);
  }
}
