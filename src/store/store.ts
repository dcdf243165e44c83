// The store port: named sections of JSON values. Writes resolve only once LevelDB has them.
export interface BatchOp<V> {
  type: 'put' | 'del';
  key: string;
  value?: V;
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
  close(): Promise<void>;
}
