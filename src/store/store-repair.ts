// `sma-bridge repair-store`: LevelDB's own repair on a stopped agent's store, after keeping a full copy.
import { cpSync, existsSync, readdirSync, readlinkSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LevelStore } from './level-store.js';
import { preOpenCopy, storeLocation } from './store-opening.js';

export interface RepairReport {
  location: string;
  /** A copy of the files the repair started from. */
  backup: string;
  /** What a refused start left in place of the store, moved aside. */
  setAside?: string;
  /** Whether the files kept aside by a refused start were repaired (rather than what that start left). */
  fromPreOpenCopy: boolean;
  entries: Record<string, number>;
  /** Entries the repair brought back damaged (not JSON), deleted. */
  dropped: number;
}

export class RepairRefused extends Error {}

export async function repairStore(dataDir: string, now: Date = new Date()): Promise<RepairReport> {
  const location = storeLocation(dataDir);
  const aside = preOpenCopy(dataDir);
  if (!existsSync(location) && !existsSync(aside)) throw new RepairRefused(`no store at ${location}`);
  const holder = processHolding(join(location, 'LOCK'));
  if (holder) throw new RepairRefused(`the store ${location} is in use by process ${holder}; stop the agent first`);

  const stamp = now.toISOString().replace(/[:.]/g, '-');
  const backup = `${location}.before-repair-${stamp}`;
  const fromPreOpenCopy = existsSync(aside);
  let setAside: string | undefined;
  if (fromPreOpenCopy) {
    // The refused start may have let LevelDB drop data; the files from before it are the better source.
    if (existsSync(location)) renameSync(location, (setAside = `${location}.after-refused-start-${stamp}`));
    renameSync(aside, location);
  }
  cpSync(location, backup, { recursive: true });
  await LevelStore.repair(location);
  const store = await LevelStore.open(location);
  try {
    const dropped = await store.dropUndecodable();
    await store.verify();
    return { location, backup, setAside, fromPreOpenCopy, dropped, entries: await store.census() };
  } finally {
    await store.close();
  }
}

/** A live process with the file open (Linux /proc), so a running agent's store is never repaired under it. */
function processHolding(file: string): number | undefined {
  const target = resolve(file);
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid);
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === target) return Number(pid);
      } catch {
        /* closed meanwhile */
      }
    }
  }
  return undefined;
}
