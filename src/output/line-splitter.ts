// Bytes of one output stream -> whole lines, with a cap on a line's length. node:readline would hold a line
// without a newline whole, however long: a service printing 100 MB without one would grow the agent by 100 MB.
export interface LineSplitterOptions {
  /** A longer line is cut here (the rest up to the next newline is dropped) and marked. */
  maxLineBytes: number;
  onLine(text: string): void;
}

/** Marks a cut line, so that a reader knows the text goes on. */
export const CUT_MARK = ' [cut]';

export class LineSplitter {
  private readonly parts: Buffer[] = [];
  private held = 0;
  /** Dropping the rest of an over-long line until its newline. */
  private skipping = false;

  constructor(private readonly o: LineSplitterOptions) {}

  write(chunk: Buffer): void {
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, from);
      const end = nl < 0 ? chunk.length : nl;
      if (nl >= 0 && this.held === 0 && !this.skipping && end - from <= this.o.maxLineBytes) {
        // The common case, a whole line inside one chunk: decoded in place, nothing copied or held.
        this.emit(chunk.toString('utf8', from, end), false);
        from = nl + 1;
        continue;
      }
      if (!this.skipping) this.hold(chunk.subarray(from, end));
      if (nl < 0) return;
      if (this.skipping) this.skipping = false;
      else this.flush(false);
      from = nl + 1;
    }
  }

  /** The stream ended: a last line without a newline is still a line. */
  end(): void {
    if (!this.skipping && this.held > 0) this.flush(false);
    this.skipping = false;
  }

  private hold(piece: Buffer): void {
    if (piece.length === 0) return;
    const room = this.o.maxLineBytes - this.held;
    if (piece.length <= room) {
      // Copied: the chunk belongs to the stream, and a held subarray would keep all of it alive.
      this.parts.push(Buffer.from(piece));
      this.held += piece.length;
      return;
    }
    this.parts.push(Buffer.from(piece.subarray(0, room)));
    this.held += room;
    this.flush(true);
    this.skipping = true;
  }

  private flush(cut: boolean): void {
    const bytes = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.held);
    this.parts.length = 0;
    this.held = 0;
    this.emit(bytes ? bytes.toString('utf8') : '', cut);
  }

  private emit(text: string, cut: boolean): void {
    const line = text.endsWith('\r') ? text.slice(0, -1) : text;
    this.o.onLine(cut ? line + CUT_MARK : line);
  }
}
