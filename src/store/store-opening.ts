// Opening the store: a corrupted, locked, full or read-only database stops start-up with a clear message,
// never with an empty registry. LevelDB drops a damaged log record silently on open (no paranoid checks in
// classic-level), so the files are hard-linked aside first and the open's own LOG is read for such drops.
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from './store.js';

export class StoreOpenError extends Error {}

/** What a store may offer to be checked right after opening. */
interface Verifiable {
  verify?(): Promise<number>;
}

export const storeLocation = (dataDir: string): string => join(dataDir, 'db');
/** The untouched files of a start that found damage; `repair-store` starts from them. */
export const preOpenCopy = (dataDir: string): string => join(dataDir, 'db-preopen');

const repairHint = (dataDir: string): string =>
  `Nothing was changed. To attempt a repair, stop the agent and run: sma-bridge repair-store --data-dir ${dataDir}`;

export async function openStoreOrExplain<S extends Store & Verifiable>(dataDir: string, open: (location: string) => Promise<S>): Promise<S> {
  const location = storeLocation(dataDir);
  const aside = preOpenCopy(dataDir);
  if (existsSync(aside)) {
    throw new StoreOpenError(`the store ${location} was found damaged by an earlier start (its files are kept in ${aside}). ${repairHint(dataDir)}`);
  }
  const linked = linkAside(location, aside);
  let store: S;
  try {
    store = await open(location);
  } catch (err) {
    const cause = causeOf(err);
    if (!/corrupt/i.test(cause)) rmSync(aside, { recursive: true, force: true });
    throw new StoreOpenError(explain(location, dataDir, cause));
  }
  try {
    const dropped = linked ? droppedOnOpen(location) : undefined;
    if (dropped) throw new Error(`LevelDB dropped damaged data while opening (${dropped})`);
    await store.verify?.();
  } catch (err) {
    await store.close().catch(() => undefined);
    throw new StoreOpenError(`the store ${location} is corrupted: ${causeOf(err)}. The files as they were before this start are kept in ${aside}. ${repairHint(dataDir)}`);
  }
  rmSync(aside, { recursive: true, force: true });
  return store;
}

/** Hard links (no copying) of the database files; LevelDB never rewrites a file in place except its LOG. */
function linkAside(location: string, aside: string): boolean {
  if (!existsSync(location)) return false;
  // Regular files only: LevelDB's repair leaves a `lost/` directory behind.
  const files = readdirSync(location, { withFileTypes: true })
    .filter((e) => e.isFile() && !/^(LOCK|LOG|LOG\.old)$/.test(e.name))
    .map((e) => e.name);
  if (files.length === 0) return false;
  mkdirSync(aside, { recursive: true });
  for (const f of files) linkSync(join(location, f), join(aside, f));
  return true;
}

/** The line of this open's LOG that reports dropped data, if any. */
function droppedOnOpen(location: string): string | undefined {
  let log: string;
  try {
    log = readFileSync(join(location, 'LOG'), 'utf8');
  } catch {
    return undefined;
  }
  return log
    .split('\n')
    .find((line) => /dropping \d+ bytes|corruption/i.test(line))
    ?.replace(/^\S+ \S+ /, '')
    .trim();
}

function causeOf(err: unknown): string {
  const e = err as { message?: string; cause?: { message?: string } };
  return e.cause?.message ?? e.message ?? String(err);
}

function explain(location: string, dataDir: string, cause: string): string {
  if (/lock/i.test(cause)) return `the store ${location} is in use by another process (is an agent already running on this dataDir?)`;
  if (/no space left/i.test(cause)) return `the store ${location} cannot be opened: the disk is full (${cause}). Free some space and start again.`;
  if (/read-only file system|permission denied/i.test(cause)) {
    return `the store ${location} cannot be opened for writing (${cause}). Check the mount and the permissions of ${dataDir}.`;
  }
  return `the store ${location} cannot be opened: ${cause}. ${repairHint(dataDir)}`;
}
