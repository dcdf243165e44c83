// A map bounded in entries whose values expire: the oldest entry goes first when it is full, and an entry
// past its time is never returned. For remembering answers to what peers send (which is theirs to repeat).
export class ExpiringMap<K, V> {
  private readonly entries = new Map<K, { value: V; until: number }>();

  constructor(
    private readonly max: number,
    private readonly now: () => number,
  ) {}

  get(key: K): V | undefined {
    const found = this.entries.get(key);
    if (!found) return undefined;
    if (found.until > this.now()) return found.value;
    this.entries.delete(key);
    return undefined;
  }

  set(key: K, value: V, ttlMs: number): void {
    this.entries.delete(key);
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { value, until: this.now() + ttlMs });
  }
}
