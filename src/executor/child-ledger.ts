// Which processes the process executor started, kept in a small file under dataDir, so that an agent killed
// without a chance to stop its children can find them at its next start instead of starting second copies.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';

export interface LedgerEntry {
  pid: number;
  /** /proc/<pid>/stat field 22: tells the same process from a later one that reused the pid. */
  startTicks: number;
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
    this.entries.set(name, { pid, startTicks });
    this.save();
  }

  forget(name: string): void {
    if (this.entries.delete(name)) this.save();
  }

  private save(): void {
    // Written whole and renamed into place: a crash leaves the old file or the new one, never half of one.
    try {
      writeFileSync(`${this.path}.tmp`, JSON.stringify(Object.fromEntries(this.entries)));
      renameSync(`${this.path}.tmp`, this.path);
    } catch (err) {
      this.log.warn({ err: (err as Error).message, path: this.path }, 'cannot write the child ledger');
    }
  }
}

/** The start time of a live process, or undefined when it is gone (a zombie is gone: it only waits to be reaped). */
export async function startTicksOf(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields 3 (state) and 22; count from the command name's last ')', since the name may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // An orphan's zombie lingers until init reaps it; waiting for it held every start after a crash 5 s.
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
    return Number(fields[19]);
  } catch {
    return undefined;
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
