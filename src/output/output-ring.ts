// The last lines of one service's output, bounded both in lines and in bytes: whichever bound is reached
// first evicts the oldest lines. A fixed array used as a ring: appending never allocates beyond the line.
import type { OutputLine } from '../operations/watch-ports.js';

export class OutputRing {
  private readonly slots: Array<OutputLine | undefined>;
  private readonly sizes: Float64Array;
  private head = 0;
  private count = 0;
  private bytes = 0;

  constructor(
    private readonly maxLines: number,
    private readonly maxBytes: number,
  ) {
    this.slots = new Array<OutputLine | undefined>(maxLines);
    this.sizes = new Float64Array(maxLines);
  }

  push(line: OutputLine): void {
    // What a line costs: its text (UTF-16 in V8, so up to 2 bytes a character) and the record around it.
    const size = line.text.length * 2 + 64;
    while (this.count > 0 && (this.count >= this.maxLines || this.bytes + size > this.maxBytes)) this.dropOldest();
    const at = (this.head + this.count) % this.maxLines;
    this.slots[at] = line;
    this.sizes[at] = size;
    this.count += 1;
    this.bytes += size;
  }

  /** Oldest first; the last `limit` lines at or after `since` (epoch ms). */
  lines(limit: number, since = 0): OutputLine[] {
    const out: OutputLine[] = [];
    for (let i = this.count - 1; i >= 0 && out.length < limit; i--) {
      const line = this.slots[(this.head + i) % this.maxLines]!;
      if (line.t < since) break;
      out.push(line);
    }
    return out.reverse();
  }

  get size(): { lines: number; bytes: number } {
    return { lines: this.count, bytes: this.bytes };
  }

  private dropOldest(): void {
    this.bytes -= this.sizes[this.head];
    this.slots[this.head] = undefined;
    this.head = (this.head + 1) % this.maxLines;
    this.count -= 1;
  }
}
