// Deadlines for many observations behind one clock timer: a binary min-heap with lazy removal.
import type { Clock } from '../../clock.js';

interface Entry {
  at: number;
  key: string;
  seq: number;
}

export class DeadlineQueue {
  private heap: Entry[] = [];
  /** The live entry's sequence number per key; heap entries with another seq are stale. */
  private live = new Map<string, number>();
  private seq = 0;
  private armedAt = Infinity;
  private cancelTimer: () => void = () => {};

  constructor(
    private readonly clock: Clock,
    private readonly fire: (key: string) => void,
  ) {}

  get size(): number {
    return this.live.size;
  }

  /** (Re)schedules `key` at time `at`, replacing an earlier deadline for it. */
  schedule(key: string, at: number): void {
    const seq = ++this.seq;
    this.live.set(key, seq);
    this.push({ at, key, seq });
    if (at < this.armedAt) this.arm();
  }

  cancel(key: string): void {
    this.live.delete(key);
  }

  has(key: string): boolean {
    return this.live.has(key);
  }

  clear(): void {
    this.heap = [];
    this.live.clear();
    this.cancelTimer();
    this.armedAt = Infinity;
  }

  private arm(): void {
    this.cancelTimer();
    this.dropStale();
    const top = this.heap[0];
    if (!top) {
      this.armedAt = Infinity;
      return;
    }
    this.armedAt = top.at;
    this.cancelTimer = this.clock.setTimeout(() => this.run(), Math.max(0, top.at - this.clock.now()));
  }

  private run(): void {
    this.armedAt = Infinity;
    const now = this.clock.now();
    const due: string[] = [];
    for (this.dropStale(); this.heap[0] && this.heap[0].at <= now; this.dropStale()) {
      const e = this.pop()!;
      this.live.delete(e.key);
      due.push(e.key);
    }
    for (const key of due) this.fire(key);
    if (this.armedAt === Infinity) this.arm();
  }

  private dropStale(): void {
    while (this.heap[0] && this.live.get(this.heap[0].key) !== this.heap[0].seq) this.pop();
  }

  private push(e: Entry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]!.at <= h[i]!.at) break;
      [h[parent], h[i]] = [h[i]!, h[parent]!];
      i = parent;
    }
  }

  private pop(): Entry | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l]!.at < h[m]!.at) m = l;
        if (r < h.length && h[r]!.at < h[m]!.at) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i]!, h[m]!];
        i = m;
      }
    }
    return top;
  }
}
