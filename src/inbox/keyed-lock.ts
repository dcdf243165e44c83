// One holder per key at a time, in the order acquire() was called. A holder of several keys queues on all of
// them in the same synchronous step, so every holder waits only for earlier ones: no deadlock, and a
// command's place in each of its services' queues is fixed the moment it is handed over.
export class KeyedLock {
  private tails = new Map<string, Promise<void>>();

  acquire(keys: string[]): Promise<() => void> {
    const unique = [...new Set(keys)];
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const earlier: Array<Promise<void>> = [];
    for (const key of unique) {
      const previous = this.tails.get(key);
      if (previous) earlier.push(previous);
      this.tails.set(key, mine);
    }
    const done = (): void => {
      release();
      for (const key of unique) if (this.tails.get(key) === mine) this.tails.delete(key);
    };
    return Promise.all(earlier).then(() => done);
  }
}
