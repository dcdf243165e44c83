// Deadlines for many keys on one clock timer: a binary min-heap with lazy cancellation.
// Shared by the supervisor (checks, restarts) and the LwM2M front (pmin/pmax of observations).
import type { Clock } from '../clock.js';

interface Entry {
  at: number;
  seq: number;
  key: string;
}

/**
 * Each key has at most one live deadline; scheduling a key again replaces its deadline. Replaced and
 * cancelled entries stay in the heap until they surface (cheap), and the heap is rebuilt when they pile up.
 */
export class DeadlineHeap {
  private heap: Entry[] = [];
  private live = new Map<string, number>();
  private seq = 0;
  private disarm: (() => void) | undefined;
  private armedAt = Infinity;
  private firing = false;
  private closed = false;

  constructor(
    private readonly clock: Clock,
    private readonly onDue: (key: string) => void,
  ) {}

  schedule(key: string, at: number): void {
    if (this.closed) return;
    const seq = ++this.seq;
    this.live.set(key, seq);
    this.push({ at, seq, key });
    if (this.heap.length > 2 * this.live.size + 64) this.compact();
    this.arm();
  }

  cancel(key: string): void {
    this.live.delete(key);
  }

  has(key: string): boolean {
    return this.live.has(key);
  }

  /** When `key` falls due, or undefined. */
  dueAt(key: string): number | undefined {
    const seq = this.live.get(key);
    return seq === undefined ? undefined : this.heap.find((e) => e.seq === seq)?.at;
  }

  get size(): number {
    return this.live.size;
  }

  /** Drops every deadline; the heap stays usable. */
  clear(): void {
    this.disarm?.();
    this.disarm = undefined;
    this.armedAt = Infinity;
    this.heap = [];
    this.live.clear();
  }

  close(): void {
    this.closed = true;
    this.disarm?.();
    this.disarm = undefined;
    this.heap = [];
    this.live.clear();
  }

  private fire(): void {
    this.disarm = undefined;
    this.armedAt = Infinity;
    this.firing = true;
    try {
      while (!this.closed && this.heap.length > 0 && this.heap[0].at <= this.clock.now()) {
        const entry = this.pop();
        if (this.live.get(entry.key) !== entry.seq) continue;
        this.live.delete(entry.key);
        this.onDue(entry.key);
      }
    } finally {
      // Re-arm even when a handler threw, so one bad key cannot stop every later deadline.
      this.firing = false;
      this.arm();
    }
  }

  private arm(): void {
    if (this.firing || this.closed) return;
    while (this.heap.length > 0 && this.live.get(this.heap[0].key) !== this.heap[0].seq) this.pop();
    const next = this.heap[0]?.at ?? Infinity;
    if (next === this.armedAt) return;
    this.disarm?.();
    this.disarm = undefined;
    this.armedAt = next;
    if (next !== Infinity) this.disarm = this.clock.setTimeout(() => this.fire(), Math.max(0, next - this.clock.now()));
  }

  private compact(): void {
    const entries = this.heap.filter((e) => this.live.get(e.key) === e.seq);
    this.heap = [];
    for (const e of entries) this.push(e);
  }

  private before(a: Entry, b: Entry): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(entry: Entry): void {
    const h = this.heap;
    h.push(entry);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  private pop(): Entry {
    const h = this.heap;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.before(h[l], h[m])) m = l;
        if (r < h.length && this.before(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}
