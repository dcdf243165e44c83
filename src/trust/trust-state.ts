// The tracker's in-memory state and the few moves every rule shares: add a device, tie it to a plugin,
// and settle its effective level (the lower of device and plugin), queueing an event only on a change.
import type { Logger } from 'pino';
import type { TrustReason } from '../events.js';
import type { DecisionPublisher } from './decision-publisher.js';
import {
  DeviceTable,
  F_DEVICE_COMPLETE as DEV,
  F_EFFECTIVE_COMPLETE as EFF,
  F_HOLDS as HOLDS,
  F_REPORTED as REPORTED,
} from './device-table.js';
import { BeatMarks } from './beat-marks.js';
import { D_ALL, D_FLAGS, D_PLUGIN, DirtyChunks } from './dirty-chunks.js';
import { PluginTable } from './plugin-table.js';
import { TimingWheel } from './timing-wheel.js';

/** Flags that decide whether a device waits on its heartbeat deadline: its own COMPLETE, not held by a report. */
export const TIMED_MASK = DEV | REPORTED;

export class TrustState {
  readonly table = new DeviceTable();
  readonly plugins = new PluginTable();
  readonly dirty = new DirtyChunks();
  readonly marks = new BeatMarks();
  readonly wheel: TimingWheel;
  /** Devices whose effective level is COMPLETE. */
  trusted = 0;
  publisher!: DecisionPublisher;
  private warnedFull = false;
  private warnedPlugins = false;
  private warnedUnregistered = false;

  constructor(
    readonly timeoutMs: number,
    tickMs: number,
    now: number,
    private readonly maxDevices: number,
    private readonly log: Logger,
    /** Whether `name` is a registered service with `plugin: true` (CONTRACT section 10). */
    private readonly isRegisteredPlugin: (name: string) => boolean,
  ) {
    this.wheel = new TimingWheel(tickMs, timeoutMs, now, this.table.capacity);
    this.dirty.ensureCapacity(this.table.capacity);
    this.marks.ensureCapacity(this.table.capacity);
  }

  /** A device seen for the first time: its level is the baseline, not a change, so no event. -1 when full. */
  addDevice(id: string, p: number, at: number, flags: number): number {
    const t = this.table;
    if (t.size >= this.maxDevices) {
      if (!this.warnedFull) this.log.warn({ maxDevices: this.maxDevices }, 'device limit reached; new devices refused');
      this.warnedFull = true;
      return -1;
    }
    const i = t.add(id);
    this.grown();
    t.plugin[i] = p;
    t.ref[i] = at;
    let f = flags;
    if (this.effective(f, p)) {
      f |= EFF;
      this.trusted++;
    }
    t.flags[i] = f;
    this.dirty.mark(i, D_ALL);
    if ((f & TIMED_MASK) === DEV) this.wheel.schedule(i, at + this.timeoutMs);
    return i;
  }

  /** Queues an event when the device's effective level is no longer the one last decided. */
  settle(i: number, reason: TrustReason, at: number): void {
    const t = this.table;
    const f = t.flags[i];
    const complete = this.effective(f, t.plugin[i]);
    if (complete === ((f & EFF) !== 0)) return;
    t.flags[i] = complete ? f | EFF : f & ~EFF;
    this.trusted += complete ? 1 : -1;
    this.dirty.mark(i, D_FLAGS);
    this.publisher.decisions.push(i, reason, complete, at);
  }

  /** A heartbeat that moved nothing but the device's times. */
  markBeat(i: number): void {
    this.marks.mark(i);
  }

  /** Waits on the device's heartbeat deadline when its own level is COMPLETE and no report holds it. */
  scheduleIfTimed(i: number): void {
    if ((this.table.flags[i] & TIMED_MASK) === DEV) this.wheel.schedule(i, this.table.ref[i] + this.timeoutMs);
  }

  tie(i: number, p: number): void {
    if (this.table.plugin[i] === p) return;
    this.table.plugin[i] = p;
    this.dirty.mark(i, D_PLUGIN);
  }

  /**
   * The plugin's index (added when new); -1 when `name` is no registered plugin service, or the table is full.
   * Only registered plugins get a row: names a client makes up never reach the table.
   */
  pluginIndex(name: string): number {
    if (!this.isRegisteredPlugin(name)) {
      if (!this.warnedUnregistered) this.log.warn({ plugin: name }, 'plugin named by a device or plugin message is no registered plugin service; ignored (logged once)');
      this.warnedUnregistered = true;
      return -1;
    }
    const p = this.plugins.indexOf(name);
    if (p < 0 && !this.warnedPlugins) this.log.warn({ plugin: name }, 'plugin limit reached; plugin ignored');
    if (p < 0) this.warnedPlugins = true;
    return p;
  }

  /** Recounts and reschedules after a load. */
  resume(): void {
    this.grown();
    const t = this.table;
    this.trusted = 0;
    for (let i = 0; i < t.size; i++) {
      if (t.flags[i] & EFF) this.trusted++;
      this.scheduleIfTimed(i);
    }
  }

  private effective(f: number, p: number): boolean {
    return (f & DEV) !== 0 && (f & HOLDS) === 0 && this.plugins.isComplete(p);
  }

  private grown(): void {
    const capacity = this.table.capacity;
    if (capacity > this.wheel.capacity) this.wheel.ensureCapacity(capacity);
    this.dirty.ensureCapacity(capacity);
    this.marks.ensureCapacity(capacity);
  }
}
