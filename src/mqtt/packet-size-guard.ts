// Reads MQTT fixed headers as bytes arrive and cuts a connection whose next packet declares more than the
// limit, before the broker buffers it (aedes has no packet-size option; without this, one client could make it
// hold a 256 MB packet before it even logs in).
import { Duplex, Transform, type TransformCallback } from 'node:stream';
import type { Socket } from 'node:net';

/** The guard's own refusal, told apart from the abort a closing socket causes downstream. */
export class PacketRefused extends Error {}

/** Counts packet boundaries: fixed header byte, remaining length (1-4 bytes, 7 bits each), body. */
export class PacketSizeGuard extends Transform {
  private skip = 0; // body bytes of the current packet still to pass
  private header = -1; // -1: expecting a fixed-header byte; >= 0: reading the remaining length
  private length = 0;
  private shift = 0;

  constructor(private readonly maxBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - i);
        this.skip -= n;
        i += n;
        continue;
      }
      const byte = chunk[i++];
      if (this.header < 0) {
        this.header = byte;
        this.length = 0;
        this.shift = 0;
        continue;
      }
      this.length += (byte & 0x7f) * 2 ** this.shift;
      this.shift += 7;
      if (byte & 0x80) {
        if (this.shift > 21) return done(new PacketRefused('malformed MQTT remaining length'));
        continue;
      }
      if (this.length > this.maxBytes) return done(new PacketRefused(`MQTT packet of ${this.length} bytes is over the ${this.maxBytes}-byte limit`));
      this.skip = this.length;
      this.header = -1;
    }
    done(null, chunk);
  }
}

/** The socket as aedes sees it: reads pass through the guard, writes go straight out. */
export function guardedConnection(socket: Socket, maxBytes: number, onRefused: (reason: string) => void): Duplex {
  const guard = new PacketSizeGuard(maxBytes);
  guard.on('error', (err) => {
    // A client that simply disconnects aborts the pipe too: that is no refusal and no WARN.
    if (err instanceof PacketRefused) onRefused(err.message);
    socket.destroy();
  });
  socket.pipe(guard);
  const conn = Duplex.from({ readable: guard, writable: socket });
  socket.on('close', () => conn.destroy());
  socket.on('error', () => conn.destroy());
  return conn;
}
