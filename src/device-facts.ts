// What LwM2M object 3 (Device) reports about the gateway, read from the OS.
import { freemem, hostname, totalmem } from 'node:os';

function oncePerSecond(read: () => number): () => number {
  let at = -Infinity;
  let value = 0;
  return () => {
    const now = performance.now();
    if (now - at >= 1000) {
      value = read();
      at = now;
    }
    return value;
  };
}

export function deviceFacts(softwareVersion: string) {
  return {
    manufacturer: 'sma-bridge',
    model: `${process.platform}-${process.arch}`,
    serial: hostname(),
    firmwareVersion: process.version,
    softwareVersion,
    // os.freemem() and os.totalmem() each parse /proc/meminfo (libuv; ~30 us, a tenth of a /3/0 read on
    // the wire, measured with --cpu-prof): read at most once a second.
    memoryFree: oncePerSecond(freemem),
    memoryTotal: oncePerSecond(totalmem),
  };
}
