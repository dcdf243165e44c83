// One small value under a fixed key of a store section, as a port for a part that must remember it across
// restarts (the Sparkplug bdSeq) without knowing the store.
import type { Store } from './store.js';

export interface StoredValue<V> {
  recall(): Promise<V | undefined>;
  remember(value: V): Promise<void>;
}

export function storedValue<V>(store: Store, section: string, key: string): StoredValue<V> {
  const s = store.section<V>(section);
  return { recall: () => s.get(key), remember: (value) => s.put(key, value) };
}
