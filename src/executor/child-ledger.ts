// Which processes the process executor started, kept in a small file under dataDir, so that an agent killed
// without a chance to stop its children can find them at its next start instead of starting second copies.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { readProcText } from './proc-text.js';
import { dirname } from 'node:path';
import type { Logger } from 'pino';

export interface LedgerEntry {
  pid: number;
  /** /proc/<pid>/stat field 22: tells the same process from a later one that reused the pid. */
  startTicks: number;
  /** The kernel's boot id: start ticks count from boot, so after a reboot a pid and its ticks can match a stranger. */
  bootId?: string;
}

export class ChildLedger {
  private readonly entries: Map<string, LedgerEntry>;

  constructor(
    private readonly path: string,
    private readonly log: Logger,
  ) {
    this.entries = new Map(Object.entries(readJson(path)));
  }

  /** What the previous run left in the ledger (possibly still running). */
  remembered(): Array<[string, LedgerEntry]> {
    return [...this.entries];
  }

  async record(name: string, pid: number): Promise<void> {
    const startTicks = await startTicksOf(pid);
    if (startTicks === undefined) return;
    this.entries.set(name, { pid, startTicks, bootId: bootId() });
    this.save();
  }

  forget(name: string): void {
    if (this.entries.delete(name)) this.save();
  }

  /**
   * Written whole to a temporary file, synced, renamed into place and the directory synced: after a crash or a
   * power cut the ledger is the old one or the new one, never half of one, and a rename that returned stays.
   */
  private save(): void {
    const tmp = `${this.path}.tmp`;
    try {
      const fd = openSync(tmp, 'w', 0o600);
      try {
        writeSync(fd, JSON.stringify(Object.fromEntries(this.entries)));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.path);
      syncDirectory(dirname(this.path));
    } catch (err) {
      this.log.warn({ err: (err as Error).message, path: this.path }, 'cannot write the child ledger');
    }
  }
}

/** True when `entry` still names the very process it was written for: same boot, same pid, same start time. */
export async function stillRunning(entry: LedgerEntry): Promise<boolean> {
  // An entry from before boot ids were kept is judged by its start time alone.
  if (entry.bootId !== undefined && entry.bootId !== bootId()) return false;
  return (await startTicksOf(entry.pid)) === entry.startTicks;
}

/** The start time of a live process, or undefined when it is gone (a zombie is gone: it only waits to be reaped). */
export async function startTicksOf(pid: number): Promise<number | undefined> {
  try {
    const stat = await readProcText(`/proc/${pid}/stat`);
    // Fields 3 (state) and 22; count from the command name's last ')', since the name may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // An orphan's zombie lingers until init reaps it; waiting for it held every start after a crash 5 s.
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
    return Number(fields[19]);
  } catch {
    return undefined;
  }
}

let cachedBootId: string | undefined;

/** /proc/sys/kernel/random/boot_id: new at every boot (empty where there is no /proc). */
export function bootId(): string {
  if (cachedBootId === undefined) {
    try {
      cachedBootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      cachedBootId = '';
    }
  }
  return cachedBootId;
}

function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function readJson(path: string): Record<string, LedgerEntry> {
  try {
    const value: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return typeof value === 'object' && value !== null ? (value as Record<string, LedgerEntry>) : {};
  } catch {
    return {};
  }
}
