// Every tracked device as a row of typed arrays (struct of arrays), indexed by a small integer that the
// device keeps for the life of the data directory. About 30 bytes of arrays per device plus its id string
// and one Map entry, so a million devices stay well inside a Raspberry Pi's memory.

/** The device's own level (heartbeat, report or device set): COMPLETE when set. */
export const F_DEVICE_COMPLETE = 1;
/** The effective level last decided: published as an event, or taken as the baseline at first sight. */
export const F_EFFECTIVE_COMPLETE = 2;
/** A plugin report holds the device level until the next heartbeat (no timeout meanwhile). */
export const F_REPORTED = 4;
/** Held NONE: left out of its plugin's last device set, until a set or a report names it again. */
export const F_MISSING = 8;
/** `lastBeat` holds a real heartbeat time. */
export const F_HAS_BEATEN = 16;
/** Held NONE: its plugin came back up and has not re-registered its devices yet. */
export const F_AWAITING = 32;
/** Holds mask the device's own level: heartbeats still count, but the level shown and used is NONE. */
export const F_HOLDS = F_MISSING | F_AWAITING;

export class DeviceTable {
  size = 0;
  readonly ids: string[] = [];
  /** Level bits, above. */
  flags: Uint8Array;
  /** Plugin index (0 = none), see PluginTable. */
  plugin: Uint16Array;
  /** The time the timeout runs from: the last heartbeat, or the device set or report that vouched for it. */
  ref: Float64Array;
  /** The last heartbeat (0 = never). */
  lastBeat: Float64Array;
  /** Sparse: only devices whose plugin gave properties. */
  readonly properties = new Map<number, Record<string, unknown>>();
  private readonly index = new Map<string, number>();

  constructor(capacity = 1024) {
    this.flags = new Uint8Array(capacity);
    this.plugin = new Uint16Array(capacity);
    this.ref = new Float64Array(capacity);
    this.lastBeat = new Float64Array(capacity);
  }

  get capacity(): number {
    return this.flags.length;
  }

  indexOf(id: string): number {
    return this.index.get(id) ?? -1;
  }

  /** Appends a device with empty fields; returns its index. */
  add(id: string): number {
    if (this.size === this.flags.length) this.ensureCapacity(this.size + 1);
    const i = this.size++;
    this.ids.push(id);
    this.index.set(id, i);
    return i;
  }

  /** Re-creates the id index after a load filled `ids` directly. */
  adoptIds(ids: readonly string[]): void {
    for (const id of ids) {
      this.index.set(id, this.ids.length);
      this.ids.push(id);
    }
    this.size = this.ids.length;
  }

  ensureCapacity(n: number): void {
    if (n <= this.flags.length) return;
    let size = Math.max(1024, this.flags.length);
    while (size < n) size *= 2;
    this.flags = grown(this.flags, new Uint8Array(size));
    this.plugin = grown(this.plugin, new Uint16Array(size));
    this.ref = grown(this.ref, new Float64Array(size));
    this.lastBeat = grown(this.lastBeat, new Float64Array(size));
  }
}

function grown<T extends Uint8Array | Uint16Array | Float64Array>(old: T, bigger: T): T {
  bigger.set(old);
  return bigger;
}
