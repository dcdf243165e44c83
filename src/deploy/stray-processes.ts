// Processes of deployed versions that no agent owns. The process executor's ledger names each child it spawned,
// but only once the spawn has returned: a kill -9 of the agent in between leaves a child the next start cannot
// find, and a second copy would then run beside it. Every process of a deployed version runs inside its version
// directory, so at start, before anything is spawned, whatever runs there is a stray of an earlier run.
import { readdir, readlink } from 'node:fs/promises';
import { sep } from 'node:path';
import type { Logger } from 'pino';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Pids (not ours) whose working directory is inside `root`. */
export async function straysIn(root: string): Promise<number[]> {
  const prefix = root.endsWith(sep) ? root : root + sep;
  const pids: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cwd = await readlink(`/proc/${entry}/cwd`).catch(() => undefined);
    if (cwd !== undefined && cwd.startsWith(prefix)) pids.push(Number(entry));
  }
  return pids;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once they are gone. */
export async function stopStrays(root: string, graceMs: number, log: Logger): Promise<number[]> {
  const pids = await straysIn(root);
  if (pids.length === 0) return pids;
  log.warn({ pids, root }, 'stopping processes of deployed versions left running by a previous agent');
  const signal = (sig: NodeJS.Signals): void => {
    for (const pid of pids) {
      try {
        process.kill(pid, sig);
      } catch {
        /* gone already */
      }
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  signal('SIGKILL');
  while (pids.some(alive)) await new Promise((r) => setTimeout(r, 20));
  return pids;
}
