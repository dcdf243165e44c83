// The store on LevelDB (`level`): one sublevel per concern, JSON values.
import { mkdirSync } from 'node:fs';
import type { Level as LevelDb } from 'level';
import { requireCommonJs } from '../commonjs.js';
import type { BatchOp, Section, SectionOp, Store, WriteOptions } from './store.js';

const { Level } = requireCommonJs('level') as typeof import('level');

type Sublevel = ReturnType<typeof sublevelOf>;

const sublevelOf = (db: LevelDb<string, unknown>, name: string) => db.sublevel<string, unknown>(name, { valueEncoding: 'json' });

export class LevelStore implements Store {
  private readonly sublevels = new Map<string, Sublevel>();

  private constructor(
    private readonly db: LevelDb<string, unknown>,
    readonly location: string,
  ) {}

  static async open(location: string): Promise<LevelStore> {
    mkdirSync(location, { recursive: true });
    const db = new Level<string, unknown>(location, { valueEncoding: 'json' });
    await db.open();
    return new LevelStore(db, location);
  }

  /** LevelDB's own salvage: rebuilds the table index from whatever files are readable. */
  static async repair(location: string): Promise<void> {
    // `level` is classic-level on Node, whose static repair its types do not declare.
    const repair = (Level as unknown as { repair?: (location: string) => Promise<void> }).repair;
    if (typeof repair !== 'function') throw new Error('this LevelDB binding has no repair');
    await repair.call(Level, location);
  }

  private sub(name: string): Sublevel {
    let sub = this.sublevels.get(name);
    if (!sub) {
      sub = sublevelOf(this.db, name);
      this.sublevels.set(name, sub);
    }
    return sub;
  }

  section<V>(name: string): Section<V> {
    // One sublevel per name, kept, so that reopen() can open each of them again.
    const sub = this.sub(name);
    return {
      get: async (key) => (await sub.get(key)) as V | undefined,
      put: (key, value) => sub.put(key, value),
      del: (key) => sub.del(key),
      batch: (ops: BatchOp<V>[]) =>
        sub.batch(ops.map((op) => (op.type === 'put' ? { type: 'put' as const, key: op.key, value: op.value } : { type: 'del' as const, key: op.key }))),
      entries: (range = {}) => sub.iterator(range) as AsyncIterable<[string, V]>,
    };
  }

  async atomic(ops: SectionOp[], options: WriteOptions = {}): Promise<void> {
    // One LevelDB write batch across sublevels: LevelDB applies it whole or not at all.
    await this.db.batch(
      ops.map((op) =>
        op.type === 'put'
          ? { type: 'put' as const, sublevel: this.sub(op.section), key: op.key, value: op.value }
          : { type: 'del' as const, sublevel: this.sub(op.section), key: op.key },
      ),
      { sync: options.sync ?? false },
    );
  }

  /** Reads every entry once, decoding each value: a damaged table or value shows up here, not later. */
  async verify(): Promise<number> {
    let count = 0;
    for await (const entry of this.db.iterator({ fillCache: false })) if (entry) count++;
    return count;
  }

  /**
   * Deletes entries whose value is not JSON: LevelDB's repair reads logs without checksums, so a damaged record
   * can come back with garbage in it. Returns how many went.
   */
  async dropUndecodable(): Promise<number> {
    // Raw bytes for keys too: a damaged key may not be UTF-8, and only its exact bytes delete it.
    const bad: Buffer[] = [];
    for await (const [key, value] of this.db.iterator<Buffer, Buffer>({ fillCache: false, keyEncoding: 'buffer', valueEncoding: 'buffer' })) {
      try {
        JSON.parse(value.toString('utf8'));
      } catch {
        bad.push(key);
      }
    }
    if (bad.length) await this.db.batch<Buffer, Buffer>(bad.map((key) => ({ type: 'del' as const, key })), { keyEncoding: 'buffer', sync: true });
    return bad.length;
  }

  /** Entries per section (sublevel), for reports. */
  async census(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for await (const key of this.db.keys({ fillCache: false })) {
      // abstract-level prefixes sublevel keys as `!name!key`.
      const m = /^!([^!]*)!/.exec(key);
      const name = m ? m[1] : '(root)';
      counts[name] = (counts[name] ?? 0) + 1;
    }
    return counts;
  }

  /** Closes and opens the same database again: LevelDB starts a fresh log, dropping a torn tail. */
  async reopen(): Promise<void> {
    await this.db.close();
    await this.db.open();
    // Sublevels do not follow their parent back open.
    for (const sub of this.sublevels.values()) await sub.open();
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
