// The KV store port on the agent's LevelDB: keys that belong to no registered service (EdgeX Core Keeper KV).
import type { KeyValueStore, KvEntry } from '../operations/ports.js';
import type { Store } from '../store/store.js';

interface Stored {
  value: unknown;
  created: number;
  modified: number;
}

export class StoreKeyValues implements KeyValueStore {
  private readonly section;

  constructor(
    store: Store,
    readonly serviceRoot: string,
  ) {
    this.section = store.section<Stored>('kv');
  }

  async list(prefix: string): Promise<KvEntry[]> {
    const out: KvEntry[] = [];
    const exact = await this.section.get(prefix);
    if (exact) out.push({ key: prefix, ...exact });
    // '0' is the character after '/': the range holds exactly the keys below `prefix/`.
    for await (const [key, v] of this.section.entries({ gte: prefix + '/', lt: prefix + '0' })) out.push({ key, ...v });
    return out;
  }

  async put(entries: Array<{ key: string; value: unknown }>, at: number): Promise<void> {
    const ops = await Promise.all(
      entries.map(async (e) => ({ type: 'put' as const, key: e.key, value: { value: e.value, created: (await this.section.get(e.key))?.created ?? at, modified: at } })),
    );
    await this.section.batch(ops);
  }

  async delete(keys: string[]): Promise<void> {
    await this.section.batch(keys.map((key) => ({ type: 'del' as const, key })));
  }
}
