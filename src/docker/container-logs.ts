// A container's output into the service output (CONTRACT section 16): the engine's log stream, attached from the
// current position, split back into stdout and stderr. Without a TTY every frame is an 8-byte header (stream
// type: 1 stdout, 2 stderr; three zero bytes; the payload's length, big-endian) and the payload.
import type { OutputSink } from '../executor/executor.js';

const HEADER = 8;

export type LogWriter = ReturnType<OutputSink>;

/** Feeds multiplexed frames, in chunks as they come, to the writer of each stream. */
export class FrameDemuxer {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly writers: { stdout: LogWriter; stderr: LogWriter }) {}

  push(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (this.pending.length >= HEADER) {
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < HEADER + size) return;
      const payload = this.pending.subarray(HEADER, HEADER + size);
      (this.pending[0] === 2 ? this.writers.stderr : this.writers.stdout).write(payload);
      this.pending = this.pending.subarray(HEADER + size);
    }
  }

  end(): void {
    this.writers.stdout.end();
    this.writers.stderr.end();
  }
}
