// One hashed timing wheel for every device deadline: a ring of slots keyed by deadline tick, each slot an
// intrusive singly linked list threaded through an Int32Array, so scheduling allocates nothing.
//
// Entries are lazy: a deadline that moves later (a heartbeat) is not moved in the wheel. When the old slot
// comes due, the owner's callback looks at the real deadline and schedules the entry again if it is not yet
// due. A device that keeps beating is thus visited about once per timeout, whatever its heartbeat rate.

const NONE = -1;

/** Called for each entry whose slot came due; the entry is already out of the wheel. */
export type DueHandler = (index: number) => void;

export class TimingWheel {
  private readonly slots: number;
  private readonly mask: number;
  private readonly heads: Int32Array;
  private next: Int32Array;
  private queued: Uint8Array;
  /** The first absolute tick not yet processed. */
  private cursor: number;

  /**
   * @param tickMs slot width: an entry fires at most one tick after its deadline (plus timer lag).
   * @param spanMs the longest usual deadline distance; longer ones cost one extra visit per turn.
   */
  constructor(
    readonly tickMs: number,
    spanMs: number,
    now: number,
    capacity = 1024,
  ) {
    const wanted = Math.ceil(spanMs / tickMs) + 1;
    let slots = 64;
    while (slots < wanted && slots < 1 << 16) slots <<= 1;
    this.slots = slots;
    this.mask = slots - 1;
    this.heads = new Int32Array(slots).fill(NONE);
    this.next = new Int32Array(capacity).fill(NONE);
    this.queued = new Uint8Array(capacity);
    this.cursor = Math.floor(now / tickMs) + 1;
  }

  get capacity(): number {
    return this.next.length;
  }

  ensureCapacity(n: number): void {
    if (n <= this.next.length) return;
    let size = this.next.length;
    while (size < n) size *= 2;
    const next = new Int32Array(size).fill(NONE);
    next.set(this.next);
    const queued = new Uint8Array(size);
    queued.set(this.queued);
    this.next = next;
    this.queued = queued;
  }

  has(index: number): boolean {
    return this.queued[index] === 1;
  }

  /** Puts `index` in the slot of `at` (or the next slot to run, when `at` has passed). No-op if already in. */
  schedule(index: number, at: number): void {
    if (this.queued[index] === 1) return;
    let tick = Math.ceil(at / this.tickMs);
    if (tick < this.cursor) tick = this.cursor;
    // `& mask` keeps the low bits of the integer tick, also past 2^31 (ToInt32 wraps modulo 2^32).
    const slot = tick & this.mask;
    this.next[index] = this.heads[slot];
    this.heads[slot] = index;
    this.queued[index] = 1;
  }

  /** Runs every slot whose tick is at or before `now`, in tick order, calling `onDue` for each entry. */
  advance(now: number, onDue: DueHandler): void {
    const target = Math.floor(now / this.tickMs);
    if (target < this.cursor) return;
    if (target - this.cursor >= this.slots) {
      // A jump longer than a turn (a stalled loop, a resumed process): every slot is due once.
      this.cursor = target + 1;
      const lists = this.heads.slice();
      this.heads.fill(NONE);
      for (const head of lists) this.drain(head, onDue);
      return;
    }
    while (this.cursor <= target) {
      const slot = this.cursor & this.mask;
      this.cursor++;
      const head = this.heads[slot];
      if (head === NONE) continue;
      this.heads[slot] = NONE;
      this.drain(head, onDue);
    }
  }

  private drain(head: number, onDue: DueHandler): void {
    let i = head;
    while (i !== NONE) {
      // Read the link first: onDue may schedule `i` again, which rewrites next[i].
      const following = this.next[i];
      this.queued[i] = 0;
      onDue(i);
      i = following;
    }
  }
}
