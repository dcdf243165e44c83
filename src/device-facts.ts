// What LwM2M object 3 (Device) reports about the gateway, read from the OS.
import { freemem, hostname, totalmem } from 'node:os';

export function deviceFacts(softwareVersion: string) {
  return {
    manufacturer: 'sma-bridge',
    model: `${process.platform}-${process.arch}`,
    serial: hostname(),
    firmwareVersion: process.version,
    softwareVersion,
    memoryFree: () => freemem(),
    memoryTotal: () => totalmem(),
  };
}
