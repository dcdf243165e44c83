// What /3 (Device) reports about the gateway; the composition root passes os-derived values.
export interface DeviceFacts {
  manufacturer: string;
  model: string;
  serial: string;
  firmwareVersion: string;
  softwareVersion: string;
  /** Defaults to "gateway" (CONTRACT section 6). */
  deviceType?: string;
  /** Bytes; /3/0/10 reports KiB. */
  memoryFree(): number;
  /** Bytes; /3/0/21 reports KiB. */
  memoryTotal(): number;
}
