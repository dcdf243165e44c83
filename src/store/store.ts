// The store port: named sections of JSON values. Writes resolve only once LevelDB has them.
export interface BatchOp<V> {
  type: 'put' | 'del';
  key: string;
  value?: V;
}

/** A write to a named section, for `Store.atomic`. */
export interface SectionOp extends BatchOp<unknown> {
  section: string;
}

export interface WriteOptions {
  /** Wait until the write is on the disk (fsync), not only handed to the OS. */
  sync?: boolean;
}

export interface Section<V> {
  get(key: string): Promise<V | undefined>;
  put(key: string, value: V): Promise<void>;
  del(key: string): Promise<void>;
  batch(ops: BatchOp<V>[]): Promise<void>;
  entries(range?: { gte?: string; lt?: string }): AsyncIterable<[string, V]>;
}

export interface Store {
  section<V>(name: string): Section<V>;
  /**
   * Writes across sections as one batch: all of it lands or none (a crash cannot split it).
   * Optional so that test doubles need not have it; `atomicWrite` falls back to one write per op.
   */
  atomic?(ops: SectionOp[], options?: WriteOptions): Promise<void>;
  close(): Promise<void>;
}

/** `store.atomic` when the provider has it; otherwise the ops one after the other. */
export async function atomicWrite(store: Store, ops: SectionOp[], options: WriteOptions = {}): Promise<void> {
  if (store.atomic) return store.atomic(ops, options);
  for (const op of ops) {
    const section = store.section<unknown>(op.section);
    await (op.type === 'put' ? section.put(op.key, op.value) : section.del(op.key));
  }
}
