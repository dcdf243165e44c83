// A store that notices when the disk stops taking writes (full, read-only, failing) and then refuses
// every write until a probe finds the disk writable and the database has been reopened. After a failed
// write LevelDB's log may end in a torn record; writes appended behind it would look fine and be lost on
// the next open, so none are attempted until a reopen has started a fresh log.
import { open, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { SmaError } from '../errors.js';
import { atomicWrite, type Section, type SectionOp, type Store, type WriteOptions } from './store.js';

/** The store underneath: it can be reopened in place and says where it lives. */
export interface ReopenableStore extends Store {
  readonly location: string;
  reopen(): Promise<void>;
}

export interface GuardedStoreOptions {
  clock: Clock;
  log: Logger;
  /** How often a refusing store checks whether the disk takes writes again. */
  probeEveryMs?: number;
  /** Bytes the probe must be able to write; reopening writes a table the size of the log. */
  probeBytes?: number;
}

export interface StoreCondition {
  writable: boolean;
  /** Why writes are refused. */
  reason?: string;
  since?: number;
}

export class GuardedStore implements Store {
  private failure?: { reason: string; since: number };
  private stopProbe?: () => void;
  private probing = false;
  private closing = false;

  constructor(
    private readonly inner: ReopenableStore,
    private readonly o: GuardedStoreOptions,
  ) {}

  condition(): StoreCondition {
    return this.failure ? { writable: false, ...this.failure } : { writable: true };
  }

  /** Why a new command cannot be journaled now, or undefined when it can. */
  refusal(): string | undefined {
    return this.failure && `the store is not writable (${this.failure.reason}); reads still work`;
  }

  section<V>(name: string): Section<V> {
    const s = this.inner.section<V>(name);
    return {
      get: (key) => s.get(key),
      entries: (range) => s.entries(range),
      put: (key, value) => this.write(() => s.put(key, value)),
      del: (key) => this.write(() => s.del(key)),
      batch: (ops) => this.write(() => s.batch(ops)),
    };
  }

  atomic(ops: SectionOp[], options?: WriteOptions): Promise<void> {
    return this.write(() => atomicWrite(this.inner, ops, options));
  }

  async close(): Promise<void> {
    this.closing = true;
    this.stopProbe?.();
    await this.inner.close();
  }

  private async write(fn: () => Promise<void>): Promise<void> {
    const refusal = this.refusal();
    if (refusal) throw new SmaError('UNAVAILABLE', refusal);
    try {
      await fn();
    } catch (err) {
      if (this.closing) throw err;
      this.fail(err);
      // Callers (operations) answer with this code: a passing condition of the gateway, not a bug.
      throw new SmaError('UNAVAILABLE', this.refusal() ?? String(err));
    }
  }

  private fail(err: unknown): void {
    if (this.failure) return;
    const e = err as { message?: string; cause?: { message?: string } };
    this.failure = { reason: e.cause?.message ?? e.message ?? String(err), since: this.o.clock.now() };
    this.o.log.error({ reason: this.failure.reason }, 'store write failed: refusing commands until the disk takes writes again');
    this.stopProbe = this.o.clock.setInterval(() => void this.probe(), this.o.probeEveryMs ?? 5_000);
  }

  private async probe(): Promise<void> {
    if (this.probing || this.closing) return;
    this.probing = true;
    try {
      await probeWritable(join(dirname(this.inner.location), '.sma-write-probe'), this.o.probeBytes ?? 1024 * 1024);
      await this.inner.reopen();
      this.stopProbe?.();
      this.stopProbe = undefined;
      this.o.log.warn({ downSince: this.failure?.since }, 'store writable again');
      this.failure = undefined;
    } catch (err) {
      this.o.log.debug({ err: (err as Error).message }, 'store still not writable');
    } finally {
      this.probing = false;
    }
  }
}

/** Writes, syncs and removes a file of `bytes` next to the database. */
async function probeWritable(path: string, bytes: number): Promise<void> {
  const handle = await open(path, 'w');
  try {
    await handle.write(Buffer.alloc(bytes));
    await handle.sync();
  } finally {
    await handle.close();
    await unlink(path).catch(() => undefined);
  }
}
