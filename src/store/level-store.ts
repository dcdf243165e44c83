// The store on LevelDB (`level`): one sublevel per concern, JSON values.
import { mkdirSync } from 'node:fs';
import { Level } from 'level';
import type { BatchOp, Section, Store } from './store.js';

export class LevelStore implements Store {
  private constructor(private readonly db: Level<string, unknown>) {}

  static async open(location: string): Promise<LevelStore> {
    mkdirSync(location, { recursive: true });
    const db = new Level<string, unknown>(location, { valueEncoding: 'json' });
    await db.open();
    return new LevelStore(db);
  }

  section<V>(name: string): Section<V> {
    const sub = this.db.sublevel<string, V>(name, { valueEncoding: 'json' });
    return {
      get: (key) => sub.get(key),
      put: (key, value) => sub.put(key, value),
      del: (key) => sub.del(key),
      batch: (ops: BatchOp<V>[]) =>
        sub.batch(
          ops.map((op) =>
            op.type === 'put' ? { type: 'put' as const, key: op.key, value: op.value as V } : { type: 'del' as const, key: op.key },
          ),
        ),
      entries: (range = {}) => sub.iterator(range),
    };
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
