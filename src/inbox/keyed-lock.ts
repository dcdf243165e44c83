// One holder per key at a time; a holder of several keys takes them in sorted order (no deadlock).
export class KeyedLock {
  private tails = new Map<string, Promise<void>>();

  async acquire(keys: string[]): Promise<() => void> {
    const sorted = [...new Set(keys)].sort();
    const releases: Array<() => void> = [];
    for (const key of sorted) releases.push(await this.one(key));
    return () => releases.forEach((r) => r());
  }

  private async one(key: string): Promise<() => void> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    return () => {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
  }
}
