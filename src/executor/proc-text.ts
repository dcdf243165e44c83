// Reading Linux's /proc files without garbage. /proc reports every file's size as 0, and Node's readFile and
// readFileSync then read in 64 KiB buffers allocated for each call: one pass over /proc/*/stat on a gateway
// with 150 processes made ~10 MB of ArrayBuffers for V8 to collect, and at the soak's rates those piles (30 MB
// between collections, 100 MB at five scrapes a second) fragmented malloc's heap and the agent's RSS crept up
// (BENCHMARKS.md, soak). The files read here are a few hundred bytes to a few kB.
import { closeSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';

/** Under Buffer's pool threshold (half of its 8 KiB pool): each read takes a slice of a pooled block. */
const FIRST_READ = 4000;

/** The text of a /proc file, read with a small buffer (grown only for a file that fills it). */
export async function readProcText(path: string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    let buffer = Buffer.allocUnsafe(FIRST_READ);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) return buffer.toString('utf8', 0, length);
      length += bytesRead;
      if (length === buffer.length) buffer = Buffer.concat([buffer, Buffer.allocUnsafe(buffer.length)]);
    }
  } finally {
    await handle.close();
  }
}

/** One buffer for every synchronous read: nothing else runs while it is in use. */
let shared = Buffer.allocUnsafeSlow(FIRST_READ);

/** readProcText for the places that must not yield (a group's liveness while a stop waits). */
export function readProcTextSync(path: string): string {
  const fd = openSync(path, 'r');
  try {
    let length = 0;
    for (;;) {
      const bytesRead = readSync(fd, shared, length, shared.length - length, null);
      if (bytesRead === 0) return shared.toString('utf8', 0, length);
      length += bytesRead;
      if (length === shared.length) {
        const bigger = Buffer.allocUnsafeSlow(shared.length * 2);
        shared.copy(bigger);
        shared = bigger;
      }
    }
  } finally {
    closeSync(fd);
  }
}
