// Finding the real child processes of simulated services, by the unique port on their command line.
import { readdirSync, readFileSync } from 'node:fs';

export function pidsWithArg(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv.join(' ').includes(needle) && Number(entry) !== process.pid) pids.push(Number(entry));
    } catch {
      /* gone meanwhile */
    }
  }
  return pids;
}

export function killAll(needle: string): void {
  for (const pid of pidsWithArg(needle)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}
