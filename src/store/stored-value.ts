// One value kept under one key of a section: what a front must find again after a restart (the LwM2M
// account, the Sparkplug bdSeq), handed to it by the composition root as a small port, so that no front
// imports the store (DESIGN: fronts never touch it). `sync` for what a peer was already told.
import { atomicWrite, type Store, type WriteOptions } from './store.js';

export interface StoredValue<V> {
  /** The value last remembered, or undefined on a fresh store. */
  recall(): Promise<V | undefined>;
  remember(value: V): Promise<void>;
}

export function storedValue<V>(store: Store, section: string, key: string, options: WriteOptions = {}): StoredValue<V> {
  const values = store.section<V>(section);
  return {
    recall: () => values.get(key),
    remember: (value) => atomicWrite(store, [{ section, type: 'put', key, value }], options),
  };
}
